"use client";

// Clerk mode: clerk-js (lib/auth/clerk-browser.ts) behind the adapter contract, Convex given Clerk's
// tokens through ConvexProviderWithClerk, and Clerk's own components for the auth UI.
import { clerkJSScriptUrl, clerkUIScriptUrl } from "@clerk/shared/loadClerkJsScript";
import type {
  Clerk,
  ClerkOptions,
  GetTokenOptions,
  OrganizationListProps,
  OrganizationProfileProps,
  OrganizationSwitcherProps,
  SignInProps,
  SignUpProps,
  TaskChooseOrganizationProps,
  UserButtonProps,
} from "@clerk/shared/types";
import { ConvexProviderWithClerk } from "convex/react-clerk";
import { UserCogIcon } from "lucide-react";
import { useRouter } from "next/navigation";
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useSyncExternalStore,
  useTransition,
  type ReactNode,
} from "react";

import { Link } from "@/components/link";
import { Button } from "@/components/ui/button";
import { authOf, ClerkBrowser, type ClerkAuth, type ClerkSnapshot } from "@/lib/auth/clerk-browser";
import type { AdapterAuthState, AuthPageProps } from "@/lib/auth/types";
import { routes, selectOrgView } from "@/lib/routes";
import { createConvexClient, noteToken, noteTokenError } from "@/setup/auth-probe";
import { convexUrl } from "@/setup/config";
import { issuerOfPublishableKey } from "@/setup/token-claims";

const PUBLISHABLE_KEY = process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY ?? "";

const convex = createConvexClient(convexUrl());
const clerkBrowser = new ClerkBrowser({ publishableKey: PUBLISHABLE_KEY });

/** Tokens of the instance the publishable key names carry this `iss` (its Frontend API URL). */
const ISSUER = issuerOfPublishableKey(PUBLISHABLE_KEY);

// Clerk's components take the app's theme tokens, so they follow light/dark with the rest of the UI.
const appearance = {
  variables: {
    colorPrimary: "var(--primary)",
    colorPrimaryForeground: "var(--primary-foreground)",
    colorBackground: "var(--card)",
    colorForeground: "var(--card-foreground)",
    colorMuted: "var(--muted)",
    colorMutedForeground: "var(--muted-foreground)",
    colorInput: "var(--background)",
    colorInputForeground: "var(--foreground)",
    colorNeutral: "var(--foreground)",
    colorBorder: "var(--border)",
    colorRing: "var(--ring)",
    colorDanger: "var(--destructive)",
    borderRadius: "var(--radius)",
    fontFamily: "var(--font-sans)",
  },
};

const ClerkContext = createContext<ClerkBrowser | null>(null);

function useClerkBrowser(): ClerkBrowser {
  const browser = useContext(ClerkContext);
  if (!browser) throw new Error("Clerk's components must be inside AuthAdapterProvider");
  return browser;
}

function useClerkSnapshot(): ClerkSnapshot {
  const browser = useClerkBrowser();
  return useSyncExternalStore(browser.subscribe, browser.getSnapshot, () => LOADING);
}

const LOADING: ClerkSnapshot = { status: "loading" };

/** The session as `useAuth()` reads it, derived once per change of Clerk's resources. */
function useClerkAuth(): ClerkAuth {
  const snapshot = useClerkSnapshot();
  return useMemo(() => authOf(snapshot), [snapshot]);
}

/** clerk-js once it has loaded, else null. */
function useLoadedClerk(): Clerk | null {
  const snapshot = useClerkSnapshot();
  return snapshot.status === "ready" ? snapshot.clerk : null;
}

type RouterFn = NonNullable<ClerkOptions["routerPush"]>;

/**
 * Clerk's navigations through the App Router, resolved once the navigation has rendered (Clerk waits
 * on them, e.g. before finishing a sign-in). Steps inside a path-routed component (`/sign-in/factor-one`)
 * only change the URL: the page stays mounted and the component follows the URL itself.
 */
function useClerkNavigation(): { routerPush: RouterFn; routerReplace: RouterFn } {
  const router = useRouter();
  const [isPending, startTransition] = useTransition();
  const waiting = useRef<(() => void)[]>([]);
  const flush = useCallback(() => {
    for (const resolve of waiting.current.splice(0)) resolve();
  }, []);
  useEffect(() => {
    if (!isPending) flush();
  }, [isPending, flush]);
  useEffect(() => flush, [flush]);
  return useMemo(() => {
    const navigate =
      (kind: "push" | "replace"): RouterFn =>
      (to, metadata) =>
        new Promise<void>((resolve) => {
          waiting.current.push(resolve);
          startTransition(() => {
            if (metadata?.__internal_metadata?.navigationType === "internal") {
              window.history[kind === "push" ? "pushState" : "replaceState"](null, "", to);
            } else {
              router[kind](to);
            }
          });
        });
    return { routerPush: navigate("push"), routerReplace: navigate("replace") };
  }, [router]);
}

/** Clerk's auth state for ConvexProviderWithClerk, noting every token (or failure to get one) it hands over. */
function useConvexAuthFromClerk() {
  const browser = useClerkBrowser();
  const auth = useClerkAuth();
  // ConvexProviderWithClerk swallows getToken's errors, and they name the fix (e.g. no `convex` JWT template).
  const getToken = useCallback(
    async (options: GetTokenOptions) => {
      try {
        const token = await browser.getToken(options);
        noteToken(token);
        return token;
      } catch (error) {
        noteTokenError(error);
        throw error;
      }
    },
    [browser],
  );
  return useMemo(() => ({ ...auth, getToken }), [auth, getToken]);
}

/** The mounted provider's navigation; Clerk keeps the functions it was loaded with for the page's life. */
const currentNavigation: { current: { routerPush: RouterFn; routerReplace: RouterFn } | null } = { current: null };

const clerkOptions: ClerkOptions = {
  routerPush: (to, metadata) => currentNavigation.current?.routerPush(to, metadata) ?? window.location.assign(to),
  routerReplace: (to, metadata) =>
    currentNavigation.current?.routerReplace(to, metadata) ?? window.location.replace(to),
  appearance,
  signInUrl: routes.signIn,
  signUpUrl: routes.signUp,
  signInFallbackRedirectUrl: routes.dashboard,
  signUpFallbackRedirectUrl: routes.dashboard,
  afterSignOutUrl: routes.landing,
  // Instances that require an organization give new sessions a "choose-organization" task.
  taskUrls: { "choose-organization": routes.selectOrg },
};

/**
 * Loads Clerk once per page with the app's routes and theme, and re-renders the server's part of the
 * page when the session or its organization changes (as Clerk's Next.js SDK does after `setActive`).
 */
function ClerkLoader() {
  const browser = useClerkBrowser();
  const router = useRouter();
  const navigation = useClerkNavigation();
  useEffect(() => {
    currentNavigation.current = navigation;
    void browser.start(clerkOptions);
    return () => {
      if (currentNavigation.current === navigation) currentNavigation.current = null;
    };
  }, [browser, navigation]);

  const auth = useClerkAuth();
  const seen = useRef<string | null>(null);
  useEffect(() => {
    if (!auth.isLoaded) return;
    const current = `${auth.sessionId ?? ""}|${auth.orgId ?? ""}`;
    if (seen.current !== null && seen.current !== current) router.refresh();
    seen.current = current;
  }, [auth.isLoaded, auth.sessionId, auth.orgId, router]);
  return null;
}

export function AuthAdapterProvider({ children }: { children: ReactNode }) {
  const script = { publishableKey: PUBLISHABLE_KEY };
  return (
    <ClerkContext.Provider value={clerkBrowser}>
      {/* In the server-rendered HTML, so the browser fetches Clerk while the app's own code loads. */}
      <script
        src={clerkJSScriptUrl(script)}
        data-clerk-js-script=""
        data-clerk-publishable-key={PUBLISHABLE_KEY}
        async
        crossOrigin="anonymous"
      />
      <link rel="preload" href={clerkUIScriptUrl(script)} as="script" crossOrigin="anonymous" />
      <ClerkLoader />
      <ConvexProviderWithClerk client={convex} useAuth={useConvexAuthFromClerk}>
        {children}
      </ConvexProviderWithClerk>
    </ClerkContext.Provider>
  );
}

export function useAuthState(): AdapterAuthState {
  const snapshot = useClerkSnapshot();
  const { isLoaded, isSignedIn, userId, orgId } = useClerkAuth();
  return {
    isLoaded,
    isSignedIn: isSignedIn === true,
    userId: userId ?? null,
    orgId: orgId ?? null,
    problem: snapshot.status === "error" ? snapshot.message : null,
    issuer: ISSUER,
  };
}

/** Clerk's components the app shows, by the name clerk-js's `mount<Name>` / `unmount<Name>` use, with their props. */
type ClerkComponents = {
  SignIn: SignInProps;
  SignUp: SignUpProps;
  UserButton: UserButtonProps;
  OrganizationSwitcher: OrganizationSwitcherProps;
  OrganizationList: OrganizationListProps;
  OrganizationProfile: OrganizationProfileProps;
  TaskChooseOrganization: TaskChooseOrganizationProps;
};

/**
 * One of Clerk's components, drawn by clerk-js into this element once Clerk has loaded (and again
 * when `props` changes); the placeholder holds its place until then.
 */
function ClerkComponent<Name extends keyof ClerkComponents>({
  name,
  props,
  placeholder = cardPlaceholder,
  className,
  testId,
}: {
  name: Name;
  props: ClerkComponents[Name];
  placeholder?: ReactNode;
  className?: string;
  testId?: string;
}) {
  const clerk = useLoadedClerk();
  const node = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = node.current;
    if (!clerk || !target) return;
    const mount = clerk[`mount${name}`] as (node: HTMLDivElement, props: ClerkComponents[Name]) => void;
    const unmount = clerk[`unmount${name}`] as (node: HTMLDivElement) => void;
    mount.call(clerk, target, props);
    return () => unmount.call(clerk, target);
  }, [clerk, name, props]);
  return (
    <div data-testid={testId} className={className}>
      {clerk ? null : placeholder}
      <div ref={node} className="contents" />
    </div>
  );
}

const cardPlaceholder = (
  <div aria-busy="true" aria-label="Loading" className="h-96 w-full max-w-md animate-pulse rounded-xl bg-muted" />
);

const userButtonProps: UserButtonProps = {};

export function UserMenu() {
  return (
    <ClerkComponent
      name="UserButton"
      props={userButtonProps}
      testId="user-menu"
      className="flex size-9 items-center justify-center"
      placeholder={<div aria-hidden className="size-7 animate-pulse rounded-full bg-muted" />}
    />
  );
}

const organizationSwitcherProps: OrganizationSwitcherProps = {
  hidePersonal: true,
  afterSelectOrganizationUrl: routes.dashboard,
  afterCreateOrganizationUrl: routes.dashboard,
  afterLeaveOrganizationUrl: routes.selectOrg,
};

export function OrganizationSwitcher() {
  return (
    <ClerkComponent
      name="OrganizationSwitcher"
      props={organizationSwitcherProps}
      testId="org-switcher"
      className="flex min-h-9 items-center"
      placeholder={<div aria-hidden className="h-7 w-36 animate-pulse rounded-md bg-muted" />}
    />
  );
}

export function SignInPage({ redirectUrl }: AuthPageProps) {
  const props = useMemo<SignInProps>(
    () => ({ routing: "path", path: routes.signIn, signUpUrl: routes.signUp, fallbackRedirectUrl: redirectUrl }),
    [redirectUrl],
  );
  return <ClerkComponent name="SignIn" props={props} />;
}

export function SignUpPage({ redirectUrl }: AuthPageProps) {
  const props = useMemo<SignUpProps>(
    () => ({ routing: "path", path: routes.signUp, signInUrl: routes.signIn, fallbackRedirectUrl: redirectUrl }),
    [redirectUrl],
  );
  return <ClerkComponent name="SignUp" props={props} />;
}

/** Clerk's flow for a session's other tasks (e.g. resetting a password), which owns its own pages. */
function RedirectToTasks() {
  const clerk = useLoadedClerk();
  useEffect(() => {
    if (clerk) void clerk.redirectToTasks();
  }, [clerk]);
  return cardPlaceholder;
}

/**
 * A pending session choosing its organization gets Clerk's own task screen (which completes the
 * task); one with another task goes to Clerk's task flow; an active session picks from its list.
 */
export function SelectOrgPage({ redirectUrl }: AuthPageProps) {
  const snapshot = useClerkSnapshot();
  const session = snapshot.status === "ready" ? snapshot.resources.session : undefined;
  const view = selectOrgView({
    isLoaded: snapshot.status !== "loading",
    status: session?.status,
    currentTaskKey: session?.currentTask?.key,
  });
  const taskProps = useMemo<TaskChooseOrganizationProps>(() => ({ redirectUrlComplete: redirectUrl }), [redirectUrl]);
  const listProps = useMemo<OrganizationListProps>(
    () => ({ hidePersonal: true, afterSelectOrganizationUrl: redirectUrl, afterCreateOrganizationUrl: redirectUrl }),
    [redirectUrl],
  );
  switch (view) {
    case "loading":
      return cardPlaceholder;
    case "choose-organization-task":
      return <ClerkComponent name="TaskChooseOrganization" props={taskProps} />;
    case "other-task":
      return <RedirectToTasks />;
    case "organization-list":
      return <ClerkComponent name="OrganizationList" props={listProps} />;
  }
}

/** Clerk's organization profile lives on its own route (path routing), so it opens as a page. */
export function ManageMembers() {
  return (
    <Button asChild data-testid="manage-members">
      <Link href={routes.manageMembers}>
        <UserCogIcon aria-hidden />
        Manage members
      </Link>
    </Button>
  );
}

const organizationProfileProps: OrganizationProfileProps = {
  routing: "path",
  path: routes.manageMembers,
  afterLeaveOrganizationUrl: routes.selectOrg,
  appearance: { elements: { rootBox: "w-full", cardBox: "w-full max-w-none shadow-none border" } },
};

/**
 * Clerk's own member management (roles, removal, invitations), at `/members/manage/[[...rest]]`.
 * Its changes reach Convex through the `organizationMembership.*` webhooks.
 */
export function ManageMembersPage() {
  return <ClerkComponent name="OrganizationProfile" props={organizationProfileProps} className="w-full" />;
}
