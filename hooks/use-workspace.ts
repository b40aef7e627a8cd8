"use client";

import { createContext, use } from "react";

import type { WorkspaceState } from "./workspace-state";

export type { CurrentOrg, Permission, WorkspaceState } from "./workspace-state";

export const WorkspaceContext = createContext<WorkspaceState>({ status: "loading" });

export function useWorkspaceState(): WorkspaceState {
  return use(WorkspaceContext);
}

/** The active organization and permission check; only inside `<WorkspaceGate>` (status `ready`). */
export function useWorkspace(): Extract<WorkspaceState, { status: "ready" }> {
  const state = use(WorkspaceContext);
  if (state.status !== "ready") {
    throw new Error("useWorkspace() is only available inside <WorkspaceGate> once the workspace is ready.");
  }
  return state;
}
