"use client";

import type { FunctionReturnType } from "convex/server";
import { createContext, use } from "react";

import type { api } from "@/convex/_generated/api";
import type { Id } from "@/convex/_generated/dataModel";
import type { AuthDiagnosis } from "@/setup/diagnose";
import type { AppErrorInfo } from "@/lib/errors";

export type CurrentOrg = NonNullable<FunctionReturnType<typeof api.organizations.current>>;
export type Permission = CurrentOrg["permissions"][number];

/**
 * Where the signed-in app stands, from Convex's side:
 * - `loading`: Convex has not accepted the token yet, or `users.ensure` has not resolved;
 * - `signed-out`: no session (`problem` says why, when known);
 * - `auth-problem`: signed in, but the setup keeps the user out (Convex refused the token, the token
 *   has no organization claims, the user's rows are not provisioned, the functions are missing),
 *   with the diagnosis;
 * - `no-org`: no active organization in the token; `error`: a refusal worth showing;
 * - `access-lost`: the organization refused the caller (removed, or the organization deleted),
 *   `orgName` naming it when this tab had it open;
 * - `ready`: data views may render; `userId` is the caller's own user row.
 */
export type WorkspaceState =
  | { status: "loading" }
  | { status: "signed-out"; problem: string | null }
  | { status: "auth-problem"; diagnosis: AuthDiagnosis; retry: () => void }
  | { status: "no-org" }
  | { status: "error"; error: AppErrorInfo; retry: () => void }
  | { status: "access-lost"; orgName: string | null; message: string }
  | { status: "ready"; org: CurrentOrg; userId: Id<"users"> | null; can: (permission: Permission) => boolean };

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
