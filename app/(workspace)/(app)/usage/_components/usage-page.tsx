"use client";

import { useQuery } from "convex/react";
import { FolderKanbanIcon, ListTodoIcon, UsersIcon, type LucideIcon } from "lucide-react";

import { NotAvailable } from "@/components/not-available";
import { PageHeader } from "@/components/page-header";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { WorkspaceGate } from "@/components/workspace-gate";
import { api } from "@/convex/_generated/api";
import { useWorkspace } from "@/hooks/use-workspace";

const DESCRIPTION = "What this organization holds, counted as it changes.";

type Counts = { members: number; projects: number; tasks: number };

const METRICS: { key: keyof Counts; label: string; icon: LucideIcon }[] = [
  { key: "members", label: "Members", icon: UsersIcon },
  { key: "projects", label: "Projects", icon: FolderKanbanIcon },
  { key: "tasks", label: "Tasks", icon: ListTodoIcon },
];

function UsageCards({ usage }: { usage: Counts | undefined }) {
  return (
    <section aria-label="Usage" className="grid gap-3 sm:grid-cols-3" aria-busy={usage === undefined}>
      {METRICS.map(({ key, label, icon: Icon }) => (
        <Card key={key} className="gap-2 py-4">
          <CardHeader className="px-4">
            <CardDescription className="flex items-center gap-2">
              <Icon aria-hidden className="size-3.5" />
              {label}
            </CardDescription>
          </CardHeader>
          <CardContent className="px-4">
            {usage === undefined ? (
              <Skeleton className="h-8 w-16" />
            ) : (
              <p className="text-3xl font-semibold tabular-nums" data-testid={`usage-${key}`}>
                {usage[key].toLocaleString("en")}
              </p>
            )}
          </CardContent>
        </Card>
      ))}
    </section>
  );
}

function LiveUsage() {
  const usage = useQuery(api.organizations.usage);
  return <UsageCards usage={usage} />;
}

function Usage() {
  const { org, can } = useWorkspace();
  // Not asked for without the permission: the query would only refuse.
  if (!can("org:usage:read")) {
    return <NotAvailable what="Usage" who="Usage is for admins and billing members." role={org.role} />;
  }
  return (
    <>
      <PageHeader title="Usage" description={`What ${org.name} holds, counted as it changes.`} />
      <LiveUsage />
    </>
  );
}

export function UsageSkeleton() {
  return (
    <div aria-busy>
      <PageHeader title="Usage" description={DESCRIPTION} />
      <UsageCards usage={undefined} />
    </div>
  );
}

export function UsagePage() {
  return (
    <WorkspaceGate fallback={<UsageSkeleton />}>
      <Usage />
    </WorkspaceGate>
  );
}
