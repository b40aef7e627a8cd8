/** Paths the app routes between, and the one place that decides who goes where. */
export const routes = {
  landing: "/",
  signIn: "/sign-in",
  /** Clerk's session-task flow (reset password, set up MFA…), served by its <SignIn /> on /sign-in. */
  signInTasks: "/sign-in/tasks",
  signUp: "/sign-up",
  selectOrg: "/select-org",
  dashboard: "/dashboard",
  projects: "/projects",
  project: (id: string) => `/projects/${encodeURIComponent(id)}`,
  activity: "/activity",
  members: "/members",
  manageMembers: "/members/manage",
  usage: "/usage",
  /** The README and docs/, served by the app in development (setup problems link to their sections). */
  docs: "/docs",
} as const;

/** The search parameter that carries "where to go after signing in / choosing an organization". */
export const REDIRECT_PARAM = "redirect_url";

function under(pathname: string, base: string): boolean {
  return pathname === base || pathname.startsWith(`${base}/`);
}

/** Sign-in and sign-up (with Clerk's sub-steps such as /sign-in/factor-one). */
export function isAuthPath(pathname: string): boolean {
  return under(pathname, routes.signIn) || under(pathname, routes.signUp);
}

/** Pages anyone may see: the landing page, the auth pages and the README (it explains how to sign in). */
export function isPublicPath(pathname: string): boolean {
  return pathname === routes.landing || isAuthPath(pathname) || under(pathname, routes.docs);
}

/** Stands in for the app's own origin when resolving paths: only "same origin or not" matters. */
const APP_ORIGIN = "https://app.invalid";

function resolves(path: string): string | null {
  try {
    return new URL(path, `${APP_ORIGIN}/`).href;
  } catch {
    return null;
  }
}

/**
 * A same-origin path to continue to, or the fallback. Decided by the URL parser, not by string
 * rules: the value is resolved against the app's origin and kept only when it stays there, and
 * only as path + query + hash, which must resolve to the same place again (so `/.//evil.example`,
 * whose path is `//evil.example`, a protocol-relative URL, is refused). Also refuses the auth pages
 * (and, with `from: "select-org"`, organization selection) so a redirect never loops back to the
 * page it starts from.
 */
export function safeRedirectPath(
  value: string | null | undefined,
  fallback: string = routes.dashboard,
  options: { from?: "sign-in" | "select-org" } = {},
): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(value, `${APP_ORIGIN}/`);
  } catch {
    return fallback;
  }
  if (parsed.origin !== APP_ORIGIN) return fallback;
  const path = `${parsed.pathname}${parsed.search}${parsed.hash}`;
  // Read back on its own, the path must name the same URL on the same origin.
  if (!path.startsWith("/") || resolves(path) !== parsed.href) return fallback;
  if (isAuthPath(parsed.pathname)) return fallback;
  if (options.from === "select-org" && parsed.pathname === routes.selectOrg) return fallback;
  return path;
}

/** `/sign-in?redirect_url=…` (or any page) carrying where to go next. */
export function withRedirect(path: string, next: string): string {
  const params = new URLSearchParams({ [REDIRECT_PARAM]: next });
  return `${path}?${params.toString()}`;
}

export type RouteInput = {
  pathname: string;
  /** The query string including its leading "?", or "". */
  search: string;
  signedIn: boolean;
  hasOrg: boolean;
  /**
   * Signed in, with session tasks left (Clerk's `pending` status: choose an organization, reset the
   * password, set up MFA). Convex treats such a session as signed out.
   */
  pending?: boolean;
};

/**
 * Where middleware sends a request, or null to let it through. The same rules for both auth modes:
 * - public pages (landing, sign-in, sign-up, docs) are never redirected, so they can never loop;
 * - signed out anywhere else → sign-in, remembering the page asked for;
 * - signed in without an active organization → organization selection (itself exempt), remembering the
 *   page; for a pending session that page shows Clerk's "choose an organization" task;
 * - a pending session that has an organization has another task left → Clerk's task flow, as Clerk's own
 *   middleware sends it (`/sign-in/tasks`).
 * Convex functions check every request themselves; this is only the user's way through the app.
 */
export function decideRoute({ pathname, search, signedIn, hasOrg, pending = false }: RouteInput): string | null {
  // Route handlers answer for themselves (401 JSON, not a redirect to a page).
  if (isPublicPath(pathname) || under(pathname, "/api")) return null;
  const asked = `${pathname}${search}`;
  if (!signedIn) return withRedirect(routes.signIn, asked);
  if (pathname === routes.selectOrg) return null;
  const next = safeRedirectPath(asked, routes.dashboard, { from: "select-org" });
  if (!hasOrg) return withRedirect(routes.selectOrg, next);
  if (pending) return withRedirect(routes.signInTasks, next);
  return null;
}

/** What `/select-org` shows for the session Clerk reports. */
export type SelectOrgView = "loading" | "choose-organization-task" | "other-task" | "organization-list";

/**
 * A pending session whose current task is choosing an organization gets Clerk's task screen; a
 * pending session with another task goes to Clerk's task flow; anyone else picks from their list.
 */
export function selectOrgView(session: {
  isLoaded: boolean;
  status?: string | null;
  currentTaskKey?: string | null;
}): SelectOrgView {
  if (!session.isLoaded) return "loading";
  if (session.status !== "pending") return "organization-list";
  return session.currentTaskKey === "choose-organization" ? "choose-organization-task" : "other-task";
}

export type RequestKind = {
  method: string;
  /** The `Sec-Fetch-Dest` header, or null when the browser sent none. */
  secFetchDest: string | null;
  accept: string | null;
};

/**
 * A page load the browser makes itself (not a fetch or a Next.js data request), decided as Clerk's
 * middleware decides which requests it may send through its handshake to refresh a session.
 */
export function isDocumentRequest({ method, secFetchDest, accept }: RequestKind): boolean {
  if (method !== "GET") return false;
  if (secFetchDest !== null) return secFetchDest === "document" || secFetchDest === "iframe";
  return accept?.startsWith("text/html") === true;
}

/**
 * Whether a signed-out answer only means the session cookie (60 s) ran out, e.g. in a background tab:
 * the browser still holds a session (Clerk's `__client_uat`), but this request is one Clerk cannot
 * refresh by redirecting (a client-side navigation's data request, a fetch). Answer it 401 rather
 * than send it to sign-in: Next.js then loads the page as a document, which Clerk refreshes.
 */
export function shouldRefreshInsteadOfSignIn(input: RequestKind & { signedIn: boolean; browserHasSession: boolean }) {
  return !input.signedIn && input.browserHasSession && !isDocumentRequest(input);
}
