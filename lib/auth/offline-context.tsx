"use client";

// Offline mode's session state: the local identity provider's session, and Convex through
// ConvexProviderWithAuth with a useAuth hook built on it.
import { ConvexProviderWithAuth } from "convex/react";
import { createContext, use, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

import { convexUrl, offlineIdpUrl } from "@/setup/config";
import { routes } from "@/lib/routes";

import {
  createHttpOfflineIdentityClient,
  isSessionEnded,
  type NewOfflineAccount,
  type OfflineAccount,
  type OfflineIdentityClient,
  type OfflineOrganization,
  type OfflineSession,
  type OfflineSignIn,
} from "./offline-client";
import { createConvexClient, noteToken, noteTokenError } from "@/setup/auth-probe";
import type { AdapterAuthState } from "./types";

const convex = createConvexClient(convexUrl());

type OfflineAuthState =
  | { status: "loading" }
  | { status: "signed-out"; problem: string | null }
  | { status: "signed-in"; session: OfflineSession; account: OfflineAccount | null };

type Organizations = { list: OfflineOrganization[] | null; problem: string | null };

type OfflineAuthContextValue = {
  client: OfflineIdentityClient;
  state: OfflineAuthState;
  organizations: Organizations;
  reloadOrganizations: () => Promise<void>;
  signIn: (who: OfflineSignIn) => Promise<OfflineSession>;
  signUp: (account: NewOfflineAccount) => Promise<OfflineSession>;
  /** Ends the session and loads the landing page afresh (no signed-in state survives in memory). */
  signOut: () => Promise<void>;
  selectOrganization: (orgId: string) => Promise<OfflineSession>;
  /** Creates an organization with the caller as admin and makes it the active one. */
  createOrganization: (name: string) => Promise<OfflineSession>;
  /** Called when the provider says the session is over (signed out elsewhere, or the provider was reset). */
  sessionEnded: () => void;
};

const OfflineAuthContext = createContext<OfflineAuthContextValue | null>(null);

export function useOfflineAuth(): OfflineAuthContextValue {
  const value = use(OfflineAuthContext);
  if (value === null) throw new Error("Offline auth components must be rendered inside AuthAdapterProvider.");
  return value;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : "The offline identity provider did not answer.";
}

const SESSION_ENDED = "Your session has ended. Sign in again.";

/** Convex's view of the offline session: a new fetchAccessToken whenever the session or organization changes. */
function useOfflineConvexAuth() {
  const { client, state, sessionEnded } = useOfflineAuth();
  const tokenKey =
    state.status === "signed-in" ? `${state.session.sessionId}:${state.session.activeOrgId ?? ""}` : null;
  const fetchAccessToken = useCallback(
    async ({ forceRefreshToken }: { forceRefreshToken: boolean }) => {
      if (tokenKey === null) return null;
      try {
        const token = await client.getToken({ forceRefresh: forceRefreshToken });
        noteToken(token);
        if (token === null) sessionEnded();
        return token;
      } catch (error) {
        noteTokenError(error);
        // Unreachable for now: Convex treats it as signed out and asks again on the next refresh.
        return null;
      }
    },
    [client, tokenKey, sessionEnded],
  );
  return useMemo(
    () => ({
      isLoading: state.status === "loading",
      isAuthenticated: state.status === "signed-in",
      fetchAccessToken,
    }),
    [state.status, fetchAccessToken],
  );
}

let defaultClient: OfflineIdentityClient | null = null;
function getDefaultClient(): OfflineIdentityClient {
  // The app's own /api/offline routes: the page never talks to the identity provider itself.
  defaultClient ??= createHttpOfflineIdentityClient();
  return defaultClient;
}

export function AuthAdapterProvider({ children }: { children: ReactNode }) {
  const client = getDefaultClient();
  const [state, setState] = useState<OfflineAuthState>({ status: "loading" });
  const [organizations, setOrganizations] = useState<Organizations>({ list: null, problem: null });
  // Bumped on every change of session or organization, so a slow answer for an older one is dropped.
  const generation = useRef(0);
  const current = useRef<{ sessionId: string | null; account: OfflineAccount | null }>({
    sessionId: null,
    account: null,
  });

  const adopt = useCallback(
    async (session: OfflineSession | null, problem: string | null = null): Promise<void> => {
      const mine = ++generation.current;
      if (session === null) {
        current.current = { sessionId: null, account: null };
        setOrganizations({ list: null, problem: null });
        setState({ status: "signed-out", problem });
        return;
      }
      let account = current.current.account;
      if (session.sessionId !== current.current.sessionId) {
        setOrganizations({ list: null, problem: null });
        // Only for display (name, email, picture): the session does not depend on it.
        account = await client.getAccount(session.userId).catch(() => null);
      }
      if (mine !== generation.current) return;
      current.current = { sessionId: session.sessionId, account };
      setState({ status: "signed-in", session, account });
    },
    [client],
  );

  const sessionEnded = useCallback(() => {
    void adopt(null, SESSION_ENDED);
  }, [adopt]);

  useEffect(() => {
    client.session().then(
      (session) => adopt(session),
      // The cookies are kept: once the provider is back, a reload signs the user straight in.
      (error: unknown) => adopt(null, messageOf(error)),
    );
  }, [client, adopt]);

  /** Runs an operation on the session; if the provider says it has ended, this tab signs out too. */
  const onSession = useCallback(
    async <T,>(operation: () => Promise<T>): Promise<T> => {
      try {
        return await operation();
      } catch (error) {
        if (isSessionEnded(error)) await adopt(null, SESSION_ENDED);
        throw error;
      }
    },
    [adopt],
  );

  const reloadOrganizations = useCallback(async () => {
    const sessionId = current.current.sessionId;
    try {
      const list = await onSession(() => client.listOrganizations());
      if (sessionId === current.current.sessionId) setOrganizations({ list, problem: null });
    } catch (error) {
      if (sessionId === current.current.sessionId) setOrganizations({ list: null, problem: messageOf(error) });
    }
  }, [client, onSession]);

  const value = useMemo<OfflineAuthContextValue>(
    () => ({
      client,
      state,
      organizations,
      reloadOrganizations,
      sessionEnded,
      async signIn(who) {
        const session = await client.signIn(who);
        await adopt(session);
        return session;
      },
      async signUp(account) {
        const session = await client.signUp(account);
        await adopt(session);
        return session;
      },
      async signOut() {
        try {
          await client.signOut();
        } catch {
          // The landing page finds out afresh whether the session is still there.
        }
        window.location.assign(routes.landing);
      },
      async selectOrganization(orgId) {
        const session = await onSession(() => client.setActiveOrganization(orgId));
        await adopt(session);
        return session;
      },
      async createOrganization(name) {
        if (state.status !== "signed-in") throw new Error(SESSION_ENDED);
        const org = await client.createOrganization(name);
        const session = await onSession(() => client.setActiveOrganization(org.id));
        await adopt(session);
        await reloadOrganizations();
        return session;
      },
    }),
    [client, state, organizations, reloadOrganizations, sessionEnded, adopt, onSession],
  );

  return (
    <OfflineAuthContext value={value}>
      <ConvexProviderWithAuth client={convex} useAuth={useOfflineConvexAuth}>
        {children}
      </ConvexProviderWithAuth>
    </OfflineAuthContext>
  );
}

/** The local identity provider's tokens carry its own URL as `iss`. */
const ISSUER = offlineIdpUrl();

export function useAuthState(): AdapterAuthState {
  const { state } = useOfflineAuth();
  switch (state.status) {
    case "signed-in":
      return {
        isLoaded: true,
        isSignedIn: true,
        userId: state.session.userId,
        orgId: state.session.activeOrgId,
        problem: null,
        issuer: ISSUER,
      };
    case "signed-out":
      return { isLoaded: true, isSignedIn: false, userId: null, orgId: null, problem: state.problem, issuer: ISSUER };
    case "loading":
      return { isLoaded: false, isSignedIn: false, userId: null, orgId: null, problem: null, issuer: ISSUER };
  }
}

/**
 * The signed-in user's organizations, loaded once per session (and again on demand). `fresh` loads
 * them again on mount, for screens where a membership may have ended since (organization choice).
 */
export function useOrganizations({ fresh = false }: { fresh?: boolean } = {}) {
  const { state, organizations, reloadOrganizations } = useOfflineAuth();
  const sessionId = state.status === "signed-in" ? state.session.sessionId : null;
  const { list, problem } = organizations;
  useEffect(() => {
    if (!fresh && sessionId !== null && list === null && problem === null) void reloadOrganizations();
  }, [fresh, sessionId, list, problem, reloadOrganizations]);
  useEffect(() => {
    if (fresh && sessionId !== null) void reloadOrganizations();
  }, [fresh, sessionId, reloadOrganizations]);
  return { organizations: list, problem, reload: reloadOrganizations };
}

/** A display name for an account: its names, else its email address. */
export function accountName(account: Pick<OfflineAccount, "firstName" | "lastName" | "email">): string {
  return `${account.firstName} ${account.lastName}`.trim() || account.email;
}
