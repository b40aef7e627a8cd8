/**
 * Clerk in the browser without Clerk's React SDK: Clerk's own scripts (clerk-js and its UI bundle,
 * served by the instance's Frontend API and fetched by `@clerk/shared`'s loader, as the SDK fetches
 * them), the auth state worked out by `@clerk/shared`'s own derivation, and Clerk's components
 * mounted into elements through clerk-js's `mount*` methods.
 *
 * Why not `@clerk/nextjs`'s `ClerkProvider` on the client: it puts about 60 KB of gzipped JavaScript
 * on every app page (the React SDK, a query client for its billing hooks, and Next.js's Pages Router
 * for the Pages Router provider it also ships), more than the rest of the app shell. Everything the
 * app needs from it is clerk-js's public interface, which the SDK's components call as well. The
 * server side (middleware, `auth()`) is still `@clerk/nextjs/server`.
 */
import { resolveAuthState } from "@clerk/shared/authorization";
import { deriveFromClientSideState } from "@clerk/shared/deriveState";
import { loadClerkJSScript, loadClerkUIScript } from "@clerk/shared/loadClerkJsScript";
import type {
  BrowserClerk,
  Clerk,
  ClerkOptions,
  ClerkUIConstructor,
  GetTokenOptions,
  Resources,
} from "@clerk/shared/types";

/** Where clerk-js stands in this page. */
export type ClerkSnapshot =
  | { status: "loading" }
  | { status: "ready"; clerk: Clerk; resources: Resources }
  | { status: "error"; message: string };

/**
 * The session as the app reads it: Clerk's `useAuth()` fields, with a pending session (one with a task
 * left, such as choosing an organization) counted as signed out, as `useAuth()` counts it by default.
 */
export type ClerkAuth = {
  isLoaded: boolean;
  isSignedIn: boolean | undefined;
  userId: string | null | undefined;
  sessionId: string | null | undefined;
  orgId: string | null | undefined;
  orgRole: string | null | undefined;
  sessionClaims: Record<string, unknown> | null | undefined;
};

const LOADING: ClerkAuth = {
  isLoaded: false,
  isSignedIn: undefined,
  userId: undefined,
  sessionId: undefined,
  orgId: undefined,
  orgRole: undefined,
  sessionClaims: undefined,
};

const SIGNED_OUT: ClerkAuth = {
  isLoaded: true,
  isSignedIn: false,
  userId: null,
  sessionId: null,
  orgId: null,
  orgRole: null,
  sessionClaims: null,
};

/** The auth state of a snapshot, derived by `@clerk/shared` exactly as `useAuth()` derives it. */
export function authOf(snapshot: ClerkSnapshot): ClerkAuth {
  if (snapshot.status === "loading") return LOADING;
  if (snapshot.status === "error") return SIGNED_OUT;
  const state = resolveAuthState({
    // Only the state is read here; the methods are the hooks' business.
    authObject: {
      ...deriveFromClientSideState(snapshot.resources),
      getToken: async () => null,
      signOut: async () => {},
      has: () => false,
    },
    options: { treatPendingAsSignedOut: true },
  });
  if (!state) return SIGNED_OUT;
  return {
    isLoaded: state.isLoaded,
    isSignedIn: state.isSignedIn,
    userId: state.userId,
    sessionId: state.sessionId,
    orgId: state.orgId,
    orgRole: state.orgRole,
    sessionClaims: state.sessionClaims as Record<string, unknown> | null | undefined,
  };
}

/** What fetching Clerk's scripts needs: the publishable key, and where to get the scripts. */
export type ClerkScriptOptions = { publishableKey: string };

/**
 * clerk-js from the instance's Frontend API, with its UI bundle. The loader finds a script tag the
 * page already has (the provider renders one during server rendering) and waits for it.
 */
export async function loadClerkFromFrontendApi({ publishableKey }: ClerkScriptOptions): Promise<{
  clerk: BrowserClerk;
  ui: Promise<ClerkUIConstructor>;
}> {
  await loadClerkJSScript({ publishableKey });
  const clerk = (window as { Clerk?: BrowserClerk }).Clerk;
  if (!clerk) throw new Error("Clerk's script loaded but did not define window.Clerk");
  // The UI bundle sets this global once it runs: it is how the loader itself tells it has loaded.
  const ui = loadClerkUIScript({ publishableKey }).then(() => {
    const constructor = (window as { __internal_ClerkUICtor?: ClerkUIConstructor }).__internal_ClerkUICtor;
    if (!constructor) throw new Error("Clerk's UI script loaded but did not define its components");
    return constructor;
  });
  return { clerk, ui };
}

export type ClerkLoader = (
  options: ClerkScriptOptions,
) => Promise<{ clerk: BrowserClerk; ui: Promise<ClerkUIConstructor> }>;

/**
 * One page's Clerk: loads it once, then follows its resources (client, session, user, organization)
 * through `addListener`, for `useSyncExternalStore`.
 */
export class ClerkBrowser {
  #snapshot: ClerkSnapshot = { status: "loading" };
  #listeners = new Set<() => void>();
  #started: Promise<void> | null = null;
  #ready: Promise<Clerk>;
  #resolveReady!: (clerk: Clerk) => void;

  constructor(
    private readonly scripts: ClerkScriptOptions,
    private readonly loader: ClerkLoader = loadClerkFromFrontendApi,
  ) {
    this.#ready = new Promise((resolve) => (this.#resolveReady = resolve));
  }

  /** Starts loading Clerk with these options (only the first call's options count). */
  start(options: ClerkOptions): Promise<void> {
    this.#started ??= this.#load(options);
    return this.#started;
  }

  async #load(options: ClerkOptions): Promise<void> {
    try {
      const { clerk, ui } = await this.loader(this.scripts);
      if (!clerk.loaded) await clerk.load({ ...options, ui: { ClerkUI: ui } });
      clerk.addListener((resources) => this.#set({ status: "ready", clerk, resources }));
      this.#resolveReady(clerk);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      console.error(`Clerk could not be loaded: ${reason}`);
      this.#set({
        status: "error",
        message:
          `Clerk could not be loaded (${reason}). Check the network, and that NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY ` +
          "is the publishable key of your Clerk instance, then reload the page.",
      });
    }
  }

  #set(snapshot: ClerkSnapshot): void {
    this.#snapshot = snapshot;
    for (const listener of this.#listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): ClerkSnapshot => this.#snapshot;

  /**
   * A token of the active session (a JWT template's when `options.template` names one), once Clerk
   * has loaded; null when nobody is signed in. Errors (e.g. no such template) are thrown.
   */
  getToken = async (options?: GetTokenOptions): Promise<string | null> => {
    const clerk = await this.#ready;
    return clerk.session ? clerk.session.getToken(options) : null;
  };
}
