"use client";

import { useQuery } from "convex/react";

import { WorkspaceGate } from "@/components/workspace-gate";
import { api } from "@/convex/_generated/api";
import { useWorkspace } from "@/hooks/use-workspace";

import { DashboardSkeleton, DashboardView } from "./dashboard-view";

// The dashboard shows the first page of each list; the full lists live on their own pages.
const PROJECTS_ARGS = { status: "active", paginationOpts: { numItems: 6, cursor: null } } as const;
const ACTIVITY_ARGS = { paginationOpts: { numItems: 8, cursor: null } } as const;
const ASSIGNED_ARGS = { paginationOpts: { numItems: 8, cursor: null } } as const;

/** Live queries; each section shows its own skeleton until its query has answered. */
function LiveDashboard() {
  const { org } = useWorkspace();
  return (
    <DashboardView
      data={{
        org,
        counts: useQuery(api.dashboard.counts),
        projects: useQuery(api.projects.list, PROJECTS_ARGS),
        activity: useQuery(api.activity.list, ACTIVITY_ARGS),
        assigned: useQuery(api.tasks.assignedToMe, ASSIGNED_ARGS),
      }}
    />
  );
}

export function Dashboard() {
  return (
    <WorkspaceGate fallback={<DashboardSkeleton />}>
      <LiveDashboard />
    </WorkspaceGate>
  );
}
