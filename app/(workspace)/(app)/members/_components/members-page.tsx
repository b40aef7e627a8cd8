"use client";

import { usePaginatedQuery } from "convex/react";
import { UsersIcon } from "lucide-react";
import type { ReactNode } from "react";

import { EmptyState } from "@/components/empty-state";
import { LoadMore } from "@/components/load-more";
import { PageHeader } from "@/components/page-header";
import { PersonAvatar } from "@/components/person-avatar";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { WorkspaceGate } from "@/components/workspace-gate";
import { api } from "@/convex/_generated/api";
import type { Id } from "@/convex/_generated/dataModel";
import { useWorkspace } from "@/hooks/use-workspace";
import { ManageMembers } from "@/components/auth/adapter";
import { roleLabel } from "@/lib/format";
import { ROLE_OPTIONS, canManageMembers } from "@/lib/roles";
import type { MemberView } from "@/lib/types";
import { cn } from "@/lib/utils";

const PAGE_SIZE = 50;
const DESCRIPTION = "Who is in this organization, and what each role may do.";

function MemberRow({ member, isYou }: { member: MemberView; isYou: boolean }) {
  const { user } = member;
  return (
    <li
      aria-label={user.name}
      className="flex items-center gap-3 py-3"
      data-testid="member-row"
      data-member-id={member._id}
      data-role={member.role}
    >
      <PersonAvatar name={user.name} imageUrl={user.imageUrl} />
      <div className="flex min-w-0 flex-1 flex-col gap-0.5">
        <span className="flex min-w-0 items-center gap-2 text-sm font-medium">
          <span className={cn("truncate", user.deleted && "text-muted-foreground")}>{user.name}</span>
          {isYou ? <Badge variant="secondary">You</Badge> : null}
        </span>
        {member.synced ? null : (
          <span className="text-xs text-muted-foreground">Joined just now; waiting for the directory to confirm.</span>
        )}
      </div>
      <Badge
        variant={member.role === "org:admin" ? "default" : "outline"}
        className="shrink-0"
        data-testid="member-role-label"
      >
        <span className="sr-only">Role: </span>
        {roleLabel(member.role)}
      </Badge>
    </li>
  );
}

function ListSkeleton({ rows = 4 }: { rows?: number }) {
  return (
    <div className="divide-y" aria-hidden>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="flex items-center gap-3 py-3">
          <Skeleton className="size-8 shrink-0 rounded-full" />
          <Skeleton className="h-4 flex-1" />
          <Skeleton className="h-5 w-16" />
        </div>
      ))}
    </div>
  );
}

function MemberList({ you }: { you: Id<"users"> | null }) {
  const { results, status, loadMore } = usePaginatedQuery(
    api.organizations.members,
    {},
    { initialNumItems: PAGE_SIZE },
  );
  if (status === "LoadingFirstPage") return <ListSkeleton />;
  if (results.length === 0) {
    return (
      <EmptyState
        headingLevel="h3"
        icon={<UsersIcon aria-hidden className="size-5" />}
        title="No members yet"
        description="Members appear here as soon as the identity provider reports them."
      />
    );
  }
  return (
    <>
      <ul className="divide-y" aria-label="Members" data-testid="members-list">
        {results.map((member) => (
          <MemberRow key={member._id} member={member} isYou={member.user._id === you} />
        ))}
      </ul>
      <LoadMore status={status} onLoadMore={() => loadMore(PAGE_SIZE)} label="Load more members" />
    </>
  );
}

function RolesCard({ yourRole }: { yourRole: string | null }) {
  return (
    <Card className="gap-4">
      <CardHeader>
        <CardTitle>
          <h2>Roles</h2>
        </CardTitle>
        <CardDescription>What each role may do here.</CardDescription>
      </CardHeader>
      <CardContent>
        <dl className="flex flex-col gap-3 text-sm">
          {ROLE_OPTIONS.map((role) => (
            <div key={role.value}>
              <dt className="flex items-center gap-2 font-medium">
                {role.label}
                {role.value === yourRole ? <Badge variant="secondary">Your role</Badge> : null}
              </dt>
              <dd className="text-muted-foreground">{role.description}</dd>
            </div>
          ))}
        </dl>
      </CardContent>
    </Card>
  );
}

function Layout({
  description,
  actions,
  list,
  yourRole,
}: {
  description: string;
  actions?: ReactNode;
  list: ReactNode;
  yourRole: string | null;
}) {
  return (
    <>
      <PageHeader title="Members" description={description} actions={actions} />
      <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
        <Card className="gap-2">
          <CardHeader>
            <CardTitle>
              <h2>People</h2>
            </CardTitle>
          </CardHeader>
          <CardContent>{list}</CardContent>
        </Card>
        <RolesCard yourRole={yourRole} />
      </div>
    </>
  );
}

function Members() {
  const { org, userId } = useWorkspace();
  const admin = canManageMembers(org.role);
  return (
    <Layout
      description={
        admin
          ? `Who is in ${org.name}, live. Roles change through member management.`
          : `Who is in ${org.name}, live. Ask an admin to change a role.`
      }
      actions={admin ? <ManageMembers /> : undefined}
      list={<MemberList you={userId} />}
      yourRole={org.role}
    />
  );
}

export function MembersSkeleton() {
  return (
    <div aria-busy>
      <Layout description={DESCRIPTION} list={<ListSkeleton />} yourRole={null} />
    </div>
  );
}

export function MembersPage() {
  return (
    <WorkspaceGate fallback={<MembersSkeleton />}>
      <Members />
    </WorkspaceGate>
  );
}
