// Clerk mode, server side: middleware routing, and the session's Convex token for preloading.
import { auth, clerkMiddleware } from "@clerk/nextjs/server";
import { NextResponse } from "next/server";

import { decideRoute, routes } from "@/lib/routes";

/**
 * clerkMiddleware authenticates every matched request; the handler only routes, with the same
 * rules as offline mode (`decideRoute`), instead of Clerk's deprecated createRouteMatcher: data is
 * protected where it is read, by the Convex functions. Pending sessions (e.g. Clerk's "choose an
 * organization" task) count as signed in without an organization, so they land on /select-org.
 */
export const authMiddleware = clerkMiddleware(
  async (auth, request) => {
    const { isAuthenticated, orgId } = await auth({ treatPendingAsSignedOut: false });
    const target = decideRoute({
      pathname: request.nextUrl.pathname,
      search: request.nextUrl.search,
      signedIn: isAuthenticated,
      hasOrg: Boolean(orgId),
    });
    return target === null ? NextResponse.next() : NextResponse.redirect(new URL(target, request.url));
  },
  { signInUrl: routes.signIn, signUpUrl: routes.signUp },
);

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
