"use client";

import { useConvexAuth, useMutation, useQueries, type RequestForQueries } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";

import { api } from "@/convex/_generated/api";
import { WorkspaceContext, type Permission, type WorkspaceState } from "@/hooks/use-workspace";
import { useAuthState } from "@/components/auth/adapter";
import { clearRefusal, messageOf, useAuthProbe } from "@/setup/auth-probe";
import {
  consoleReport,
  diagnoseBackendFailure,
  diagnoseMissingOrgClaims,
  diagnoseNotProvisioned,
  diagnoseRefusedToken,
  isMissingFunction,
  type AuthDiagnosis,
} from "@/setup/diagnose";
import { summarizeToken } from "@/setup/token-claims";
import { authMode } from "@/setup/config";
import { describeError, type AppErrorInfo } from "@/lib/errors";

/** `users.ensure`'s outcome for one identity: the error as shown, and its raw message for diagnosis. */
type Ensured = { key: string; error: AppErrorInfo | null; raw: string };

/**
 * Right after sign-in Convex reports "not authenticated" (rather than "loading") until the server has
 * confirmed the new token. A refusal Convex explains (its client logs the reason, see auth-probe.ts)
 * is shown at once; without one, only a wait this long means refused.
 */
const TOKEN_CONFIRM_TIMEOUT_MS = 10_000;
/**
 * The provider has an organization active but the token Convex holds names none. Right after an
 * organization is chosen that is a token still on its way; for this long it is, after that it is
 * a token made without organization claims.
 */
const ORG_CLAIMS_SETTLE_MS = 3_000;

const reload = () => window.location.reload();

const NO_LONGER_MEMBER = "You are no longer a member of this organization, or it has been deleted.";

// useQueries (unlike useQuery) reports errors as values. Its argument must keep its identity
// between renders, hence these constants.
const ME: RequestForQueries = { me: { query: api.users.me, args: {} } };
const CURRENT: RequestForQueries = { current: { query: api.organizations.current, args: {} } };
const NONE: RequestForQueries = {};

/** True once `waiting` has stayed true for `ms`. */
function useWaitedTooLong(waiting: boolean, ms: number): boolean {
  const [tooLong, setTooLong] = useState(false);
  useEffect(() => {
    setTooLong(false);
    if (!waiting) return;
    const timer = setTimeout(() => setTooLong(true), ms);
    return () => clearTimeout(timer);
  }, [waiting, ms]);
  return waiting && tooLong;
}

/**
 * Gates the signed-in app on Convex's auth state, then on `users.ensure` for the identity Convex
 * actually holds. `users.me` reflects the token Convex accepted, so keying `ensure` on its user and
 * organization calls it once after sign-in and again after every organization switch, always
 * with the new token (never the one the switch replaced).
 */
export function WorkspaceProvider({ children }: { children: ReactNode }) {
  const { isLoading, isAuthenticated } = useConvexAuth();
  const adapter = useAuthState();
  const probe = useAuthProbe();
  const { me } = useQueries(isAuthenticated ? ME : NONE) as {
    me?: FunctionReturnType<typeof api.users.me> | Error;
  };
  const ensure = useMutation(api.users.ensure);
  const [ensured, setEnsured] = useState<Ensured | null>(null);
  const [attempt, setAttempt] = useState(0);
  // The organization this tab last had open, to name it if access to it is lost.
  const [lastOrgName, setLastOrgName] = useState<string | null>(null);

  useEffect(() => {
    if (isAuthenticated) clearRefusal();
  }, [isAuthenticated]);

  const rejected = useWaitedTooLong(
    !isLoading && !isAuthenticated && adapter.isLoaded && adapter.isSignedIn,
    TOKEN_CONFIRM_TIMEOUT_MS,
  );

  const identity = me === undefined || me instanceof Error ? null : me;
  const lastToken = probe.token?.value ?? null;
  const lastTokenOrg = useMemo(
    () => (lastToken === null ? null : (summarizeToken(lastToken)?.orgId ?? null)),
    [lastToken],
  );
  const orgClaimsMissing =
    identity !== null &&
    identity.org.status === "none" &&
    adapter.orgId !== null &&
    lastTokenOrg === null &&
    lastOrgName === null;
  const orgClaimsSettled = useWaitedTooLong(orgClaimsMissing, ORG_CLAIMS_SETTLE_MS);

  const key =
    identity === null || identity.org.status !== "active"
      ? null
      : `${identity.clerkId}|${identity.org.clerkId}|${attempt}`;

  useEffect(() => {
    if (key === null) return;
    let current = true;
    ensure({}).then(
      () => {
        if (current) setEnsured({ key, error: null, raw: "" });
      },
      (error: unknown) => {
        if (current) setEnsured({ key, error: describeError(error), raw: messageOf(error) });
      },
    );
    return () => {
      current = false;
    };
  }, [key, ensure]);

  const ensuredNow = ensured !== null && ensured.key === key && ensured.error === null;
  const { current } = useQueries(ensuredNow ? CURRENT : NONE) as {
    current?: FunctionReturnType<typeof api.organizations.current> | Error;
  };
  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  const state = useMemo<WorkspaceState>(() => {
    const context = { mode: authMode(), issuer: adapter.issuer };
    const accessLost = (message: string): WorkspaceState => ({ status: "access-lost", orgName: lastOrgName, message });
    const problem = (diagnosis: AuthDiagnosis, again: () => void = reload): WorkspaceState => ({
      status: "auth-problem",
      diagnosis,
      retry: again,
    });
    // A failed read: the deployment lacking the functions is a setup problem, anything else an error.
    const failed = (error: Error): WorkspaceState => {
      const info = describeError(error);
      if (info.code === "FORBIDDEN") return accessLost(info.message);
      if (info.code === null && isMissingFunction(error.message))
        return problem(diagnoseBackendFailure(context, error.message));
      return { status: "error", error: info, retry: reload };
    };

    if (isLoading) return { status: "loading" };
    if (!isAuthenticated) {
      if (!adapter.isLoaded) return { status: "loading" };
      if (adapter.isSignedIn) {
        const noToken = probe.token !== null && probe.token.value === null;
        if (probe.refusal !== null || noToken || rejected) {
          return problem(diagnoseRefusedToken(context, probe, Math.floor(Date.now() / 1000)));
        }
        return { status: "loading" };
      }
      return { status: "signed-out", problem: adapter.problem };
    }
    if (me === undefined) return { status: "loading" };
    if (me instanceof Error) return failed(me);
    if (me.org.status === "none") {
      // Having had one open, the session lost its organization: removed from it, or it was deleted.
      if (lastOrgName !== null) return accessLost(NO_LONGER_MEMBER);
      if (orgClaimsSettled && adapter.orgId !== null) {
        return problem(diagnoseMissingOrgClaims(context, lastToken, adapter.orgId));
      }
      return orgClaimsMissing ? { status: "loading" } : { status: "no-org" };
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
    if (ensured === null || ensured.key !== key) return { status: "loading" };
    if (ensured.error !== null) {
      if (ensured.error.code === "FORBIDDEN") return accessLost(ensured.error.message);
      // Not one of the backend's own refusals: the user's rows could not be provisioned.
      if (ensured.error.code === null) return problem(diagnoseBackendFailure(context, ensured.raw), retry);
      return { status: "error", error: ensured.error, retry };
    }
    if (current === undefined) return { status: "loading" };
    if (current instanceof Error) return failed(current);
    if (current === null) return problem(diagnoseNotProvisioned(context, null), retry);
    const permissions = new Set<string>(current.permissions);
    return {
      status: "ready",
      org: current,
      userId: me.user?._id ?? null,
      can: (permission: Permission) => permissions.has(permission),
    };
  }, [
    isLoading,
    isAuthenticated,
    adapter.isLoaded,
    adapter.isSignedIn,
    adapter.problem,
    adapter.issuer,
    adapter.orgId,
    probe,
    rejected,
    me,
    orgClaimsMissing,
    orgClaimsSettled,
    lastToken,
    ensured,
    key,
    current,
    retry,
    lastOrgName,
  ]);

  // The detail always reaches the console: in production it is the only place it appears; in
  // development the banner shows it, and a warning keeps it out of Next's error overlay.
  const report = state.status === "auth-problem" ? consoleReport(state.diagnosis) : null;
  useEffect(() => {
    if (report === null) return;
    if (process.env.NODE_ENV === "production") console.error(report);
    else console.warn(report);
  }, [report]);

  const readyOrgName = state.status === "ready" ? state.org.name : null;
  useEffect(() => {
    if (readyOrgName !== null) setLastOrgName(readyOrgName);
  }, [readyOrgName]);

  return <WorkspaceContext value={state}>{children}</WorkspaceContext>;
}
