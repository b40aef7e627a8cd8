"use client";

import { ChevronLeftIcon } from "lucide-react";
import { Link } from "@/components/link";

import { NotAvailable } from "@/components/not-available";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { WorkspaceGate } from "@/components/workspace-gate";
import { useWorkspace } from "@/hooks/use-workspace";
import { ManageMembersPage } from "@/components/auth/adapter";
import { routes } from "@/lib/routes";
import { canManageMembers } from "@/lib/roles";

function BackToMembers() {
  return (
    <Button asChild variant="ghost" size="sm" className="mb-2 -ml-2 text-muted-foreground">
      <Link href={routes.members}>
        <ChevronLeftIcon aria-hidden />
        Members
      </Link>
    </Button>
  );
}

const DESCRIPTION = "Change roles, remove members and add people. The members list follows within a moment.";

function ManageMembers() {
  const { org } = useWorkspace();
  if (!canManageMembers(org.role)) {
    return <NotAvailable what="Managing members" who="Only admins change roles and membership." role={org.role} />;
  }
  return (
    <>
      <BackToMembers />
      <PageHeader title="Manage members" description={DESCRIPTION} />
      <ManageMembersPage />
    </>
  );
}

function ManageMembersSkeleton() {
  return (
    <div aria-busy>
      <BackToMembers />
      <PageHeader title="Manage members" description={DESCRIPTION} />
      <Skeleton className="h-80 w-full rounded-xl" />
    </div>
  );
}

export function ManageMembersScreen() {
  return (
    <WorkspaceGate fallback={<ManageMembersSkeleton />}>
      <ManageMembers />
    </WorkspaceGate>
  );
}
