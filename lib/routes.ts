/** Paths the app routes between, and the one place that decides who goes where. */
export const routes = {
  landing: "/",
  signIn: "/sign-in",
  signUp: "/sign-up",
  selectOrg: "/select-org",
  dashboard: "/dashboard",
  projects: "/projects",
  project: (id: string) => `/projects/${encodeURIComponent(id)}`,
  activity: "/activity",
  members: "/members",
  manageMembers: "/members/manage",
  usage: "/usage",
  /** The README, served by the app in development (setup problems link to its sections). */
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
  return pathname === routes.landing || isAuthPath(pathname) || pathname === routes.docs;
}

/**
 * A same-origin path to continue to, or the fallback. Refuses absolute and protocol-relative URLs
 * (`https://…`, `//evil`, `/\evil`) so `redirect_url` cannot send anyone off-site, and refuses the
 * auth pages (and, with `from: "select-org"`, organization selection) so a redirect never loops
 * back to the page it starts from.
 */
export function safeRedirectPath(
  value: string | null | undefined,
  fallback: string = routes.dashboard,
  options: { from?: "sign-in" | "select-org" } = {},
): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return fallback;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(value, "http://local.invalid");
  } catch {
    return fallback;
  }
  if (parsed.origin !== "http://local.invalid") return fallback;
  if (isAuthPath(parsed.pathname)) return fallback;
  if (options.from === "select-org" && parsed.pathname === routes.selectOrg) return fallback;
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
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
};

/**
 * Where middleware sends a request, or null to let it through. The same rules for both auth modes:
 * - public pages (landing, sign-in, sign-up, docs) are never redirected, so they can never loop;
 * - signed out anywhere else → sign-in, remembering the page asked for;
 * - signed in without an active organization → organization selection (itself exempt), remembering the page.
 * Convex functions check every request themselves; this is only the user's way through the app.
 */
export function decideRoute({ pathname, search, signedIn, hasOrg }: RouteInput): string | null {
  // Route handlers answer for themselves (401 JSON, not a redirect to a page).
  if (isPublicPath(pathname) || under(pathname, "/api")) return null;
  const asked = `${pathname}${search}`;
  if (!signedIn) return withRedirect(routes.signIn, asked);
  if (pathname === routes.selectOrg) return null;
  if (!hasOrg) return withRedirect(routes.selectOrg, safeRedirectPath(asked, routes.dashboard, { from: "select-org" }));
  return null;
}
