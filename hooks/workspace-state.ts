/**
 * Where the signed-in app stands, as a pure function of what the providers report: Convex's auth
 * state, the auth adapter's, the auth probe's record of the token exchange, `users.me`,
 * `users.ensure` and `organizations.current`. `components/workspace-provider.tsx` only gathers those
 * (subscriptions, timers, the ensure call) and hands them here; every rule is in this file.
 */
import type { FunctionReturnType } from "convex/server";

import type { api } from "@/convex/_generated/api";
import type { Id } from "@/convex/_generated/dataModel";
import { describeError, type AppErrorInfo } from "@/lib/errors";
import type { AuthMode } from "@/setup/config";
import {
  diagnoseBackendFailure,
  diagnoseMissingOrgClaims,
  diagnoseNotProvisioned,
  diagnoseRefusedToken,
  isMissingFunction,
  type AuthDiagnosis,
} from "@/setup/diagnose";
import type { ProbeSnapshot } from "@/setup/auth-probe";

export type CurrentOrg = NonNullable<FunctionReturnType<typeof api.organizations.current>>;
export type Permission = CurrentOrg["permissions"][number];
type Me = FunctionReturnType<typeof api.users.me>;

/**
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

/** `users.ensure`'s outcome for one identity (`key`): the error as shown, and its raw message for diagnosis. */
export type Ensured = { key: string; error: AppErrorInfo | null; raw: string };

export type WorkspaceInputs = {
  mode: AuthMode;
  /** The auth adapter's view (Clerk or the local identity provider). */
  adapter: {
    isLoaded: boolean;
    isSignedIn: boolean;
    problem: string | null;
    issuer: string | null;
    orgId: string | null;
  };
  /** `useConvexAuth()`. */
  convex: { isLoading: boolean; isAuthenticated: boolean };
  probe: ProbeSnapshot;
  /** Signed in with the provider, and Convex has still not accepted a token after the confirm timeout. */
  tokenWaitedTooLong: boolean;
  me: Me | Error | undefined;
  /** The token Convex holds names no organization while the provider has one active… */
  orgClaimsMissing: boolean;
  /** …and has for longer than an organization switch takes. */
  orgClaimsSettled: boolean;
  /** The identity `users.ensure` must have run for (`users.me`'s user and organization), or null. */
  ensureKey: string | null;
  ensured: Ensured | null;
  current: FunctionReturnType<typeof api.organizations.current> | Error | undefined;
  /** The organization this tab last had open, to name it if access to it is lost. */
  lastOrgName: string | null;
  nowSeconds: number;
  reload: () => void;
  retryEnsure: () => void;
};

const NO_LONGER_MEMBER = "You are no longer a member of this organization, or it has been deleted.";

/** The identity `users.ensure` must run for: the user and organization of the token Convex holds. */
export function ensureKeyOf(me: Me | Error | undefined, attempt: number): string | null {
  if (me === undefined || me instanceof Error || me.org.status !== "active") return null;
  return `${me.clerkId}|${me.org.clerkId}|${attempt}`;
}

/** Where the app stands; see `WorkspaceState`. */
export function deriveWorkspaceState(input: WorkspaceInputs): WorkspaceState {
  const { adapter, convex, probe, me, ensured, current, lastOrgName, reload } = input;
  const context = { mode: input.mode, issuer: adapter.issuer };
  const accessLost = (message: string): WorkspaceState => ({ status: "access-lost", orgName: lastOrgName, message });
  const problem = (diagnosis: AuthDiagnosis, retry: () => void = reload): WorkspaceState => ({
    status: "auth-problem",
    diagnosis,
    retry,
  });
  // A failed read: the deployment lacking the functions is a setup problem, anything else an error.
  const failed = (error: Error): WorkspaceState => {
    const info = describeError(error);
    if (info.code === "FORBIDDEN") return accessLost(info.message);
    if (info.code === null && isMissingFunction(error.message)) {
      return problem(diagnoseBackendFailure(context, error.message));
    }
    return { status: "error", error: info, retry: reload };
  };

  if (convex.isLoading) return { status: "loading" };
  if (!convex.isAuthenticated) {
    if (!adapter.isLoaded) return { status: "loading" };
    if (!adapter.isSignedIn) return { status: "signed-out", problem: adapter.problem };
    const noToken = probe.token !== null && probe.token.value === null;
    if (probe.refusal !== null || noToken || input.tokenWaitedTooLong) {
      return problem(diagnoseRefusedToken(context, probe, input.nowSeconds));
    }
    return { status: "loading" };
  }
  if (me === undefined) return { status: "loading" };
  if (me instanceof Error) return failed(me);
  if (me.org.status === "none") {
    // Having had one open, the session lost its organization: removed from it, or it was deleted.
    if (lastOrgName !== null) return accessLost(NO_LONGER_MEMBER);
    if (input.orgClaimsSettled && adapter.orgId !== null) {
      return problem(diagnoseMissingOrgClaims(context, probe.token?.value ?? null, adapter.orgId));
    }
    return input.orgClaimsMissing ? { status: "loading" } : { status: "no-org" };
  }
  if (me.org.status === "malformed") {
    return {
      status: "error",
      error: {
        code: "FORBIDDEN",
        message: `Your session's organization could not be read (${me.org.reason}). Sign out and sign in again.`,
      },
      retry: reload,
    };
  }
  if (ensured === null || ensured.key !== input.ensureKey) return { status: "loading" };
  if (ensured.error !== null) {
    if (ensured.error.code === "FORBIDDEN") return accessLost(ensured.error.message);
    // Not one of the backend's own refusals: the user's rows could not be provisioned.
    if (ensured.error.code === null) return problem(diagnoseBackendFailure(context, ensured.raw), input.retryEnsure);
    return { status: "error", error: ensured.error, retry: input.retryEnsure };
  }
  if (current === undefined) return { status: "loading" };
  if (current instanceof Error) return failed(current);
  if (current === null) return problem(diagnoseNotProvisioned(context, null), input.retryEnsure);
  const permissions = new Set<string>(current.permissions);
  return {
    status: "ready",
    org: current,
    userId: me.user?._id ?? null,
    can: (permission: Permission) => permissions.has(permission),
  };
}
