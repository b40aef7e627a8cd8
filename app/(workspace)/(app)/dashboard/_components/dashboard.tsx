"use client";

import { usePreloadedQuery, useQuery, type Preloaded } from "convex/react";
import type { FunctionReference, FunctionReturnType } from "convex/server";
import { jsonToConvex } from "convex/values";
import { useState } from "react";

import { WorkspaceGate } from "@/components/workspace-gate";
import { api } from "@/convex/_generated/api";
import { useWorkspace, useWorkspaceState } from "@/hooks/use-workspace";

import { DASHBOARD_ARGS, type PreloadedDashboard } from "./dashboard-args";
import { DashboardSkeleton, DashboardView, type DashboardData } from "./dashboard-view";

/** A preloaded answer as it was (what `usePreloadedQuery` shows until the live one arrives). */
function answerOf<Query extends FunctionReference<"query">>(preloaded: Preloaded<Query>): FunctionReturnType<Query> {
  return jsonToConvex(preloaded._valueJSON) as FunctionReturnType<Query>;
}

/** The server's answers, shown as they are while Convex has not yet accepted the token here. */
function preloadedData(preloaded: PreloadedDashboard): DashboardData {
  return {
    org: answerOf(preloaded.current) ?? undefined,
    counts: answerOf(preloaded.counts),
    projects: answerOf(preloaded.projects),
    activity: answerOf(preloaded.activity),
    assigned: answerOf(preloaded.assigned),
  };
}

/** Live queries; each section shows its own skeleton until its query has answered. */
function LiveDashboard() {
  const { org } = useWorkspace();
  return (
    <DashboardView
      live
      data={{
        org,
        counts: useQuery(api.dashboard.counts),
        projects: useQuery(api.projects.list, DASHBOARD_ARGS.projects),
        activity: useQuery(api.activity.list, DASHBOARD_ARGS.activity),
        assigned: useQuery(api.tasks.assignedToMe, DASHBOARD_ARGS.assigned),
      }}
    />
  );
}

/** The same live queries, starting from the server's answers instead of skeletons. */
function PreloadedLiveDashboard({ preloaded }: { preloaded: PreloadedDashboard }) {
  const { org } = useWorkspace();
  return (
    <DashboardView
      live
      data={{
        org,
        counts: usePreloadedQuery(preloaded.counts),
        projects: usePreloadedQuery(preloaded.projects),
        activity: usePreloadedQuery(preloaded.activity),
        assigned: usePreloadedQuery(preloaded.assigned),
      }}
    />
  );
}

/**
 * The server's answers are worth showing only for the organization, and the moment, they were made
 * for: from the first paint until the workspace is ready. Once the workspace leaves `ready` (an
 * organization switch, lost access), they are stale until the server renders the page again.
 */
function useUsablePreload(preloaded: PreloadedDashboard | null): PreloadedDashboard | null {
  const workspace = useWorkspaceState();
  const ready = workspace.status === "ready";
  const [seen, setSeen] = useState<{ ready: boolean; stale: PreloadedDashboard | null }>({
    ready: false,
    stale: null,
  });
  // Derived during render (not in an effect) so no frame shows stale answers.
  if (ready !== seen.ready) setSeen({ ready, stale: ready ? seen.stale : preloaded });
  if (preloaded === null || preloaded === seen.stale || (!ready && seen.ready)) return null;
  if (ready && answerOf(preloaded.current)?._id !== workspace.org._id) return null;
  return preloaded;
}

/**
 * Server-rendered with the session's token when `preloaded` is set (the first paint has data), then
 * live once Convex accepts the token in the browser and `users.ensure` has run. Without it (signed
 * out on the server, a first sign-in, Convex unreachable), skeletons until the live answers arrive.
 */
export function Dashboard({ preloaded }: { preloaded: PreloadedDashboard | null }) {
  const usable = useUsablePreload(preloaded);
  return (
    <WorkspaceGate fallback={usable ? <DashboardView data={preloadedData(usable)} /> : <DashboardSkeleton />}>
      {usable ? <PreloadedLiveDashboard preloaded={usable} /> : <LiveDashboard />}
    </WorkspaceGate>
  );
}
