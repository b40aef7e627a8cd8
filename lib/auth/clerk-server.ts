// Clerk mode, server side: middleware routing.
import { clerkMiddleware } from "@clerk/nextjs/server";
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
