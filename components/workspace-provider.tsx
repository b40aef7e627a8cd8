"use client";

import { useConvexAuth, useMutation, useQueries, type RequestForQueries } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";

import { useAuthState } from "@/components/auth/adapter";
import { api } from "@/convex/_generated/api";
import { WorkspaceContext } from "@/hooks/use-workspace";
import { deriveWorkspaceState, ensureKeyOf, type Ensured } from "@/hooks/workspace-state";
import { describeError } from "@/lib/errors";
import { clearRefusal, messageOf, useAuthProbe } from "@/setup/auth-probe";
import { authMode } from "@/setup/config";
import { consoleReport } from "@/setup/diagnose";
import { summarizeToken } from "@/setup/token-claims";

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

  const key = ensureKeyOf(me, attempt);

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

  const { isLoaded, isSignedIn, problem, issuer, orgId } = adapter;
  const state = useMemo(
    () =>
      deriveWorkspaceState({
        mode: authMode(),
        adapter: { isLoaded, isSignedIn, problem, issuer, orgId },
        convex: { isLoading, isAuthenticated },
        probe,
        tokenWaitedTooLong: rejected,
        me,
        orgClaimsMissing,
        orgClaimsSettled,
        ensureKey: key,
        ensured,
        current,
        lastOrgName,
        nowSeconds: Math.floor(Date.now() / 1000),
        reload,
        retryEnsure: retry,
      }),
    [
      isLoaded,
      isSignedIn,
      problem,
      issuer,
      orgId,
      isLoading,
      isAuthenticated,
      probe,
      rejected,
      me,
      orgClaimsMissing,
      orgClaimsSettled,
      key,
      ensured,
      current,
      lastOrgName,
      retry,
    ],
  );

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
