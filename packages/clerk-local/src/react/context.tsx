"use client";

// The session state of offline sign-in (the identity provider's session, through the app's
// /api/offline routes), the app's configuration (kit, routes, roles), and the hooks a backend
// client takes its tokens from.
import { createContext, use, useCallback, useEffect, useMemo, useRef, useState, type PropsWithChildren } from "react";

import { isSessionEnded } from "../shared/errors";
import type {
  NewOfflineAccount,
  OfflineAccount,
  OfflineOrganization,
  OfflineSession,
  OfflineSignIn,
} from "../shared/types";
import { createHttpOfflineIdentityClient, type OfflineIdentityClient } from "./client";
import type { ClerkLocalKit } from "./kit";

/** Where the screens send the user. */
export type ClerkLocalRoutes = {
  /** After signing out (loaded afresh). */
  landing: string;
  signIn: string;
  signUp: string;
  /** Choosing or creating the active organization. */
  selectOrg: string;
  /** After switching or creating an organization from the switcher. */
  dashboard: string;
};

/** A role members can be given, as people read it (`{ value: "org:admin", label: "Admin" }`). */
export type ClerkLocalRole = { value: string; label: string };

/** What the app tells the React UI about itself. Keep it a module-level constant: it is read on every render. */
export type ClerkLocalConfig = {
  /** The app's UI primitives (shadcn/ui's shapes). */
  kit: ClerkLocalKit;
  routes: ClerkLocalRoutes;
  /** The roles offered when adding a member or changing a role, in this order. */
  roles: readonly ClerkLocalRole[];
  /** How a role reads; default: its label in `roles`, else its key without `org:`, capitalized. */
  roleLabel?: (role: string) => string;
  /** `path` carrying where to continue after it; default `path?redirect_url=<next>`, as Clerk's own. */
  withRedirect?: (path: string, next: string) => string;
  /** The identity provider's URL, shown on the sign-in screens (where accounts come from). */
  providerUrl: string;
  /** How the UI reaches the provider; default: this origin's /api/offline routes. */
  client?: OfflineIdentityClient;
};

/** The configuration with its defaults filled in. */
export type ResolvedConfig = Required<Omit<ClerkLocalConfig, "client">>;

type OfflineAuthState =
  | { status: "loading" }
  | { status: "signed-out"; problem: string | null }
  | { status: "signed-in"; session: OfflineSession; account: OfflineAccount | null };

type Organizations = { list: OfflineOrganization[] | null; problem: string | null };

export type ClerkLocalContextValue = {
  config: ResolvedConfig;
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

const ClerkLocalContext = createContext<ClerkLocalContextValue | null>(null);

/** The session, the configuration and the operations on them; inside ClerkLocalProvider only. */
export function useClerkLocal(): ClerkLocalContextValue {
  const value = use(ClerkLocalContext);
  if (value === null) throw new Error("clerk-local components must be rendered inside <ClerkLocalProvider>.");
  return value;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : "The local identity provider did not answer.";
}

const SESSION_ENDED = "Your session has ended. Sign in again.";

function defaultRoleLabel(roles: readonly ClerkLocalRole[]) {
  return (role: string): string => {
    const listed = roles.find((r) => r.value === role)?.label;
    if (listed !== undefined) return listed;
    const name = role.replace(/^org:/, "").replace(/[_-]+/g, " ");
    return name.charAt(0).toUpperCase() + name.slice(1);
  };
}

function defaultWithRedirect(path: string, next: string): string {
  return `${path}?${new URLSearchParams({ redirect_url: next }).toString()}`;
}

let defaultClient: OfflineIdentityClient | null = null;
function getDefaultClient(): OfflineIdentityClient {
  // The app's own /api/offline routes: the page never talks to the identity provider itself.
  defaultClient ??= createHttpOfflineIdentityClient();
  return defaultClient;
}

/** Holds the offline session for everything below it: the screens, menus and the backend's token hook. */
export function ClerkLocalProvider({ config, children }: PropsWithChildren<{ config: ClerkLocalConfig }>) {
  const client = config.client ?? getDefaultClient();
  const resolved = useMemo<ResolvedConfig>(
    () => ({
      kit: config.kit,
      routes: config.routes,
      roles: config.roles,
      roleLabel: config.roleLabel ?? defaultRoleLabel(config.roles),
      withRedirect: config.withRedirect ?? defaultWithRedirect,
      providerUrl: config.providerUrl,
    }),
    [config],
  );
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

  const value = useMemo<ClerkLocalContextValue>(
    () => ({
      config: resolved,
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
        window.location.assign(resolved.routes.landing);
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
    [resolved, client, state, organizations, reloadOrganizations, sessionEnded, adopt, onSession],
  );

  return <ClerkLocalContext value={value}>{children}</ClerkLocalContext>;
}

/** Whether someone is signed in, who, and in which organization; `problem` says why they were signed out. */
export type ClerkLocalAuthState = {
  isLoaded: boolean;
  isSignedIn: boolean;
  userId: string | null;
  orgId: string | null;
  problem: string | null;
};

export function useClerkLocalAuthState(): ClerkLocalAuthState {
  const { state } = useClerkLocal();
  switch (state.status) {
    case "signed-in":
      return {
        isLoaded: true,
        isSignedIn: true,
        userId: state.session.userId,
        orgId: state.session.activeOrgId,
        problem: null,
      };
    case "signed-out":
      return { isLoaded: true, isSignedIn: false, userId: null, orgId: null, problem: state.problem };
    case "loading":
      return { isLoaded: false, isSignedIn: false, userId: null, orgId: null, problem: null };
  }
}

/** Observers of the tokens handed to the backend's client (e.g. to explain a refused token). */
export type TokenObserver = {
  /** Every answer: a token, or null when the session has ended. */
  onToken?: (token: string | null) => void;
  /** The token could not be had (e.g. the provider is unreachable); the backend then sees "signed out". */
  onTokenError?: (error: unknown) => void;
};

/**
 * The offline session as Convex's `ConvexProviderWithAuth` wants it (`useAuth`): whether it is
 * loading or signed in, and a `fetchAccessToken` that changes whenever the session or organization
 * does. Wrap it in a hook of the app's own to pass observers.
 */
export function useClerkLocalConvexAuth(observer: TokenObserver = {}) {
  const { client, state, sessionEnded } = useClerkLocal();
  // Observers are read when a token arrives, so an inline object does not make a new fetcher.
  const observed = useRef(observer);
  useEffect(() => {
    observed.current = observer;
  });
  const tokenKey =
    state.status === "signed-in" ? `${state.session.sessionId}:${state.session.activeOrgId ?? ""}` : null;
  const fetchAccessToken = useCallback(
    async ({ forceRefreshToken }: { forceRefreshToken: boolean }) => {
      if (tokenKey === null) return null;
      try {
        const token = await client.getToken({ forceRefresh: forceRefreshToken });
        observed.current.onToken?.(token);
        if (token === null) sessionEnded();
        return token;
      } catch (error) {
        observed.current.onTokenError?.(error);
        // Unreachable for now: the backend treats it as signed out and asks again on the next refresh.
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

/**
 * The signed-in user's organizations, loaded once per session (and again on demand). `fresh` loads
 * them again on mount, for screens where a membership may have ended since (organization choice).
 */
export function useOrganizations({ fresh = false }: { fresh?: boolean } = {}) {
  const { state, organizations, reloadOrganizations } = useClerkLocal();
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
