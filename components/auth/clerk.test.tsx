// @vitest-environment happy-dom
/**
 * The Clerk adapter (components/auth/clerk.tsx) against Clerk's own React SDK: the same clerk-js
 * (a stand-in with clerk-js's interface, as nothing here reaches Clerk) goes through each one's
 * provider, and both must read the same session and hand Convex the same tokens. The SDK is what
 * Clerk's docs and Convex's `ConvexProviderWithClerk` are written against; the adapter replaces it
 * on the client to keep it out of every page's JavaScript.
 */
import { ClerkProvider, useAuth } from "@clerk/react";
import type { BrowserClerk, Resources } from "@clerk/shared/types";
import { ConvexProviderWithClerk } from "convex/react-clerk";
import { act, type ReactNode } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeAll, describe, expect, test, vi } from "vitest";

const router = { push: vi.fn(), replace: vi.fn(), refresh: vi.fn(), prefetch: vi.fn() };
vi.mock("next/navigation", () => ({ useRouter: () => router }));

type FetchToken = (args: { forceRefreshToken: boolean }) => Promise<string | null | undefined>;

/** A Convex client that only records what the provider gives it. */
class FakeConvex {
  fetchToken: FetchToken | null = null;
  setAuth(fetchToken: FetchToken) {
    this.fetchToken = fetchToken;
  }
  clearAuth() {
    this.fetchToken = null;
  }
}

const adapterConvex = new FakeConvex();
vi.mock("@/setup/auth-probe", () => ({
  createConvexClient: () => adapterConvex,
  noteToken: vi.fn(),
  noteTokenError: vi.fn(),
}));

const PUBLISHABLE_KEY = `pk_test_${btoa("clerk.example.invalid$")}`;

type Membership = { orgId: string; role: string };
type SessionShape = {
  userId: string;
  sessionId: string;
  status: "active" | "pending";
  orgId: string | null;
  memberships: Membership[];
  claims: Record<string, unknown>;
  task?: string;
};

/** clerk-js as far as the providers use it: load, resources and their emissions, session tokens. */
function fakeClerk() {
  const listeners = new Set<(resources: Resources) => void>();
  const tokenRequests: unknown[] = [];
  const loadOptions: Record<string, unknown>[] = [];
  const mounted: string[] = [];
  let resources = { client: {}, session: null, user: null, organization: null } as unknown as Resources;
  const clerk = {
    loaded: false,
    status: "loading",
    __internal_lastEmittedResources: undefined as Resources | undefined,
    get session() {
      return resources.session;
    },
    get user() {
      return resources.user;
    },
    get organization() {
      return resources.organization;
    },
    get client() {
      return resources.client;
    },
    async load(options: Record<string, unknown>) {
      loadOptions.push(options);
      clerk.loaded = true;
      clerk.status = "ready";
      clerk.__internal_lastEmittedResources = resources;
    },
    addListener(callback: (resources: Resources) => void, options?: { skipInitialEmit?: boolean }) {
      listeners.add(callback);
      if (!options?.skipInitialEmit && clerk.loaded) callback(resources);
      return () => listeners.delete(callback);
    },
    // clerk-js's event bus: `notify` hands a new listener the current status at once.
    on(event: string, handler: (status: string) => void, options?: { notify?: boolean }) {
      if (event === "status" && options?.notify) handler(clerk.status);
    },
    off() {},
    mountUserButton(node: HTMLDivElement) {
      mounted.push("UserButton");
      node.textContent = "user button";
    },
    unmountUserButton() {
      mounted.push("-UserButton");
    },
    emit(session: SessionShape | null) {
      resources = (
        session === null ? { client: {}, session: null, user: null, organization: null } : toResources(session)
      ) as Resources;
      clerk.__internal_lastEmittedResources = resources;
      for (const listener of listeners) listener(resources);
    },
  };
  function toResources(shape: SessionShape) {
    return {
      client: {},
      session: {
        id: shape.sessionId,
        status: shape.status,
        actor: null,
        factorVerificationAge: null,
        currentTask: shape.task ? { key: shape.task } : undefined,
        lastActiveToken: { jwt: { claims: shape.claims } },
        getToken: async (options: unknown) => {
          tokenRequests.push(options);
          return `token-for-${shape.orgId ?? "none"}`;
        },
      },
      user: {
        id: shape.userId,
        organizationMemberships: shape.memberships.map(({ orgId, role }) => ({
          organization: { id: orgId },
          role,
          permissions: [],
        })),
      },
      organization: shape.orgId === null ? null : { id: shape.orgId, slug: shape.orgId },
    };
  }
  return { clerk, tokenRequests, loadOptions, mounted };
}

type Seen = { isLoaded: boolean; isSignedIn: boolean | undefined; userId: unknown; orgId: unknown };
const seen = (auth: Seen) => ({
  isLoaded: auth.isLoaded,
  isSignedIn: auth.isSignedIn === true,
  userId: auth.userId ?? null,
  orgId: auth.orgId ?? null,
});

const roots: Root[] = [];
async function render(element: ReactNode): Promise<HTMLElement> {
  const container = document.createElement("div");
  document.body.append(container);
  const root = createRoot(container);
  roots.push(root);
  await act(async () => root.render(element));
  return container;
}

async function settle() {
  await act(async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

afterEach(async () => {
  for (const root of roots.splice(0)) await act(async () => root.unmount());
});

describe("the Clerk adapter reads the session as Clerk's React SDK does", () => {
  let loadedWith: Record<string, unknown>[] = [];
  let mountedBy: string[] = [];
  test("signed out, signed in with and without an organization, pending, switching: same state, same tokens", async () => {
    vi.stubEnv("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", PUBLISHABLE_KEY);
    vi.stubEnv("NEXT_PUBLIC_CONVEX_URL", "http://127.0.0.1:3210");
    // The adapter loads clerk-js from the page (window.Clerk), as the script it renders defines it.
    const ours = fakeClerk();
    loadedWith = ours.loadOptions;
    mountedBy = ours.mounted;
    Object.assign(window, { Clerk: ours.clerk, __internal_ClerkUICtor: class {} });
    const adapter = await import("./clerk");

    const theirs = fakeClerk();
    const theirConvex = new FakeConvex();
    let adapterState: Seen | null = null;
    let sdkState: Seen | null = null;
    function AdapterProbe() {
      adapterState = adapter.useAuthState();
      return null;
    }
    function SdkProbe() {
      sdkState = useAuth();
      return null;
    }
    await render(
      <adapter.AuthAdapterProvider>
        <AdapterProbe />
      </adapter.AuthAdapterProvider>,
    );
    await settle();
    await render(
      <ClerkProvider publishableKey={PUBLISHABLE_KEY} Clerk={theirs.clerk as unknown as BrowserClerk}>
        <ConvexProviderWithClerk client={theirConvex} useAuth={useAuth}>
          <SdkProbe />
        </ConvexProviderWithClerk>
      </ClerkProvider>,
    );
    await settle();

    // Both loaded clerk-js once; the adapter with the app's routes and Next.js navigation.
    expect(ours.loadOptions).toHaveLength(1);
    expect(theirs.loadOptions).toHaveLength(1);
    expect(ours.loadOptions[0]).toMatchObject({
      signInUrl: "/sign-in",
      afterSignOutUrl: "/",
      taskUrls: { "choose-organization": "/select-org" },
    });
    expect(typeof ours.loadOptions[0]!.routerPush).toBe("function");
    expect(typeof ours.loadOptions[0]!.routerReplace).toBe("function");

    const CONVEX_TEMPLATE = [{ template: "convex", skipCache: true }];
    const steps: [string, SessionShape | null, unknown[]][] = [
      ["signed out", null, []],
      [
        "signed in, no organization",
        { userId: "user_1", sessionId: "sess_1", status: "active", orgId: null, memberships: [], claims: {} },
        CONVEX_TEMPLATE,
      ],
      [
        "signed in, admin of org_1",
        {
          userId: "user_1",
          sessionId: "sess_1",
          status: "active",
          orgId: "org_1",
          memberships: [{ orgId: "org_1", role: "org:admin" }],
          claims: { sub: "user_1" },
        },
        CONVEX_TEMPLATE,
      ],
      [
        "switched to org_2, a member",
        {
          userId: "user_1",
          sessionId: "sess_1",
          status: "active",
          orgId: "org_2",
          memberships: [
            { orgId: "org_1", role: "org:admin" },
            { orgId: "org_2", role: "org:member" },
          ],
          claims: { sub: "user_1" },
        },
        CONVEX_TEMPLATE,
      ],
      [
        "a new session whose tokens are made for Convex (aud convex): no template",
        {
          userId: "user_1",
          sessionId: "sess_3",
          status: "active",
          orgId: "org_2",
          memberships: [{ orgId: "org_2", role: "org:member" }],
          claims: { sub: "user_1", aud: "convex" },
        },
        [{ skipCache: true }],
      ],
      [
        "pending: choosing an organization",
        {
          userId: "user_2",
          sessionId: "sess_2",
          status: "pending",
          orgId: null,
          memberships: [],
          claims: {},
          task: "choose-organization",
        },
        [],
      ],
    ];
    for (const [label, session, requests] of steps) {
      ours.tokenRequests.length = 0;
      theirs.tokenRequests.length = 0;
      await act(async () => {
        ours.clerk.emit(session);
        theirs.clerk.emit(session);
      });
      await settle();
      expect(seen(adapterState!), label).toEqual(seen(sdkState!));
      // Convex asks for a token (as it does on connecting and on expiry) through each provider.
      const [ourToken, theirToken] = await Promise.all([
        adapterConvex.fetchToken?.({ forceRefreshToken: true }) ?? null,
        theirConvex.fetchToken?.({ forceRefreshToken: true }) ?? null,
      ]);
      expect(ourToken, label).toEqual(theirToken);
      expect(ours.tokenRequests, label).toEqual(theirs.tokenRequests);
      // The `convex` JWT template, or the session token itself where the instance makes it for Convex.
      expect(ours.tokenRequests, label).toEqual(requests);
      expect(seen(adapterState!).isSignedIn, label).toBe(requests.length > 0);
    }
    // A pending session counts as signed out until its task is done.
    expect(seen(adapterState!)).toEqual({ isLoaded: true, isSignedIn: false, userId: null, orgId: null });
  });

  test("Clerk navigates through the App Router; a step inside a path-routed component only changes the URL", async () => {
    // The first test loaded clerk-js with the adapter's navigation, which follows the mounted provider.
    const adapter = await import("./clerk");
    await render(<adapter.AuthAdapterProvider>{null}</adapter.AuthAdapterProvider>);
    const options = loadedWith[0]!;
    const routerPush = options.routerPush as (to: string, metadata?: unknown) => Promise<unknown>;
    const routerReplace = options.routerReplace as (to: string, metadata?: unknown) => Promise<unknown>;
    router.push.mockClear();
    router.replace.mockClear();

    // Started inside act, awaited outside it: the navigation resolves once React has rendered it.
    let done!: Promise<unknown>;
    await act(async () => {
      done = routerPush("/sign-in/factor-one", { __internal_metadata: { navigationType: "internal" } });
    });
    await done;
    expect(window.location.pathname).toBe("/sign-in/factor-one");
    expect(router.push).not.toHaveBeenCalled();

    await act(async () => {
      done = Promise.all([routerPush("/dashboard"), routerReplace("/select-org")]);
    });
    await done;
    expect(router.push).toHaveBeenCalledWith("/dashboard");
    expect(router.replace).toHaveBeenCalledWith("/select-org");
  });

  test("UserButton is clerk-js's own, mounted into the menu once Clerk has loaded and unmounted with it", async () => {
    const adapter = await import("./clerk");
    const container = await render(
      <adapter.AuthAdapterProvider>
        <adapter.UserMenu />
      </adapter.AuthAdapterProvider>,
    );
    await settle();
    expect(container.querySelector('[data-testid="user-menu"]')?.textContent).toBe("user button");
    expect(mountedBy).toEqual(["UserButton"]);
    // In the server-rendered page too, so the browser starts fetching clerk-js before the app's code runs.
    expect(document.querySelector("script[data-clerk-js-script]")?.getAttribute("src")).toBe(
      "https://clerk.example.invalid/npm/@clerk/clerk-js@6/dist/clerk.browser.js",
    );
    for (const root of roots.splice(0)) await act(async () => root.unmount());
    expect(mountedBy).toEqual(["UserButton", "-UserButton"]);
  });
});
