"use client";

import { useConvexAuth, useQueries, type RequestForQueries } from "convex/react";
import type { FunctionReturnType } from "convex/server";
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";

import { api } from "@/convex/_generated/api";
import { useAppMutation } from "@/hooks/use-app-mutation";
import { WorkspaceContext, type Permission, type WorkspaceState } from "@/hooks/use-workspace";
import { useAuthState } from "@/lib/auth/adapter";
import { describeError, type AppErrorInfo } from "@/lib/errors";

type Ensured = { key: string; error: AppErrorInfo | null };

/**
 * Right after sign-in Convex reports "not authenticated" (rather than "loading") until the server has
 * confirmed the new token, and a refused token looks the same: only a wait this long means refused.
 */
const TOKEN_CONFIRM_TIMEOUT_MS = 10_000;

const reload = () => window.location.reload();

const NO_LONGER_MEMBER = "You are no longer a member of this organization, or it has been deleted.";

// useQueries (unlike useQuery) reports errors as values. Its argument must keep its identity
// between renders, hence these constants.
const ME: RequestForQueries = { me: { query: api.users.me, args: {} } };
const CURRENT: RequestForQueries = { current: { query: api.organizations.current, args: {} } };
const NONE: RequestForQueries = {};

/** True once `waiting` has stayed true for TOKEN_CONFIRM_TIMEOUT_MS. */
function useWaitedTooLong(waiting: boolean): boolean {
  const [tooLong, setTooLong] = useState(false);
  useEffect(() => {
    setTooLong(false);
    if (!waiting) return;
    const timer = setTimeout(() => setTooLong(true), TOKEN_CONFIRM_TIMEOUT_MS);
    return () => clearTimeout(timer);
  }, [waiting]);
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
  const { me } = useQueries(isAuthenticated ? ME : NONE) as {
    me?: FunctionReturnType<typeof api.users.me> | Error;
  };
  const ensure = useAppMutation(api.users.ensure);
  const [ensured, setEnsured] = useState<Ensured | null>(null);
  const [attempt, setAttempt] = useState(0);

  const rejected = useWaitedTooLong(!isLoading && !isAuthenticated && adapter.isLoaded && adapter.isSignedIn);

  const identity = me === undefined || me instanceof Error ? null : me;
  const key =
    identity === null || identity.org.status !== "active"
      ? null
      : `${identity.clerkId}|${identity.org.clerkId}|${attempt}`;

  useEffect(() => {
    if (key === null) return;
    let current = true;
    void ensure({}, { onError: () => undefined }).then((outcome) => {
      if (current) setEnsured({ key, error: outcome.ok ? null : outcome.error });
    });
    return () => {
      current = false;
    };
  }, [key, ensure]);

  const ensuredNow = ensured !== null && ensured.key === key && ensured.error === null;
  const { current } = useQueries(ensuredNow ? CURRENT : NONE) as {
    current?: FunctionReturnType<typeof api.organizations.current> | Error;
  };
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  // The organization this tab last had open, to name it if access to it is lost.
  const [lastOrgName, setLastOrgName] = useState<string | null>(null);

  const state = useMemo<WorkspaceState>(() => {
    const accessLost = (message: string): WorkspaceState => ({ status: "access-lost", orgName: lastOrgName, message });
    if (isLoading) return { status: "loading" };
    if (!isAuthenticated) {
      if (!adapter.isLoaded) return { status: "loading" };
      if (adapter.isSignedIn) return rejected ? { status: "token-rejected" } : { status: "loading" };
      return { status: "signed-out", problem: adapter.problem };
    }
    if (me === undefined) return { status: "loading" };
    if (me instanceof Error) return { status: "error", error: describeError(me), retry: reload };
    if (me.org.status === "none") {
      // Having had one open, the session lost its organization: removed from it, or it was deleted.
      return lastOrgName === null ? { status: "no-org" } : accessLost(NO_LONGER_MEMBER);
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
      return ensured.error.code === "FORBIDDEN"
        ? accessLost(ensured.error.message)
        : { status: "error", error: ensured.error, retry };
    }
    if (current === undefined) return { status: "loading" };
    if (current instanceof Error) {
      const error = describeError(current);
      return error.code === "FORBIDDEN" ? accessLost(error.message) : { status: "error", error, retry: reload };
    }
    if (current === null) {
      return {
        status: "error",
        error: { code: null, message: "This organization is not set up for you yet. Try again in a moment." },
        retry,
      };
    }
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
    rejected,
    me,
    ensured,
    key,
    current,
    retry,
    lastOrgName,
  ]);

  const readyOrgName = state.status === "ready" ? state.org.name : null;
  useEffect(() => {
    if (readyOrgName !== null) setLastOrgName(readyOrgName);
  }, [readyOrgName]);

  return <WorkspaceContext value={state}>{children}</WorkspaceContext>;
}
