// Offline mode, server side: routing on the cookies the offline adapter keeps. Tokens stay in the browser.
import { NextResponse, type NextRequest } from "next/server";

import { decideRoute } from "@/lib/routes";

import { OFFLINE_ORG_COOKIE, OFFLINE_SESSION_COOKIE } from "./offline-cookies";

/**
 * A stale cookie (the session ended elsewhere) only gets the user as far as the app shell, where the
 * adapter finds the session gone, clears the cookies and offers to sign in again.
 */
export function authMiddleware(request: NextRequest): NextResponse {
  const target = decideRoute({
    pathname: request.nextUrl.pathname,
    search: request.nextUrl.search,
    signedIn: Boolean(request.cookies.get(OFFLINE_SESSION_COOKIE)?.value),
    hasOrg: Boolean(request.cookies.get(OFFLINE_ORG_COOKIE)?.value),
  });
  return target === null ? NextResponse.next() : NextResponse.redirect(new URL(target, request.url));
}
