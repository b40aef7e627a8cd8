// Clerk mode, server side: middleware routing, and the session's Convex token for preloading.
import { auth, clerkMiddleware } from "@clerk/nextjs/server";
import { NextResponse, type NextRequest } from "next/server";

import { decideRoute, routes, shouldRefreshInsteadOfSignIn } from "@/lib/routes";

/**
 * Whether the browser holds a Clerk session: `__client_uat` (or an instance-suffixed
 * `__client_uat_<suffix>`) is the time the client last signed in, 0 when signed out.
 */
function browserHasSession(request: NextRequest): boolean {
  return request.cookies
    .getAll()
    .some(({ name, value }) => /^__client_uat(_.+)?$/.test(name) && Number.parseInt(value, 10) > 0);
}

/**
 * clerkMiddleware authenticates every matched request; the handler only routes, with the same
 * rules as offline mode (`decideRoute`), instead of Clerk's deprecated createRouteMatcher: data is
 * protected where it is read, by the Convex functions. A pending session (tasks left) is routed to
 * its task: without an organization to /select-org, which shows Clerk's "choose an organization"
 * task; with one, to Clerk's task flow for the others (reset password, set up MFA).
 */
export const authMiddleware = clerkMiddleware(
  async (auth, request) => {
    const { isAuthenticated, orgId, sessionStatus } = await auth({ treatPendingAsSignedOut: false });
    const target = decideRoute({
      pathname: request.nextUrl.pathname,
      search: request.nextUrl.search,
      signedIn: isAuthenticated,
      hasOrg: Boolean(orgId),
      pending: sessionStatus === "pending",
    });
    if (target === null) return NextResponse.next();
    const kind = {
      method: request.method,
      secFetchDest: request.headers.get("sec-fetch-dest"),
      accept: request.headers.get("accept"),
    };
    if (
      shouldRefreshInsteadOfSignIn({
        ...kind,
        signedIn: isAuthenticated,
        browserHasSession: browserHasSession(request),
      })
    ) {
      return NextResponse.json(
        {
          error: { code: "UNAUTHENTICATED", message: "The session token expired. Load the page again to refresh it." },
        },
        { status: 401, headers: { "cache-control": "no-store" } },
      );
    }
    return NextResponse.redirect(new URL(target, request.url));
  },
  { signInUrl: routes.signIn, signUpUrl: routes.signUp },
);

/** Whether the request carries a signed-in (not pending) Clerk session. */
export async function hasSession(): Promise<boolean> {
  try {
    return (await auth()).isAuthenticated;
  } catch {
    return false;
  }
}

/**
 * The token the browser's ConvexProviderWithClerk would use, chosen the same way: the session token
 * itself when the instance has Clerk's Convex integration (`aud: "convex"`), else the "convex" JWT
 * template. Null when signed out or when Clerk cannot give one now.
 */
export async function getConvexToken(): Promise<string | null> {
  try {
    const { isAuthenticated, sessionClaims, getToken } = await auth();
    if (!isAuthenticated) return null;
    return sessionClaims.aud === "convex" ? await getToken() : await getToken({ template: "convex" });
  } catch {
    return null;
  }
}
