// Offline mode, server side: routing on the cookies the offline routes keep, and the session's
// Convex token (from the local identity provider, with its API key) for preloading.
import { cookies } from "next/headers";
import { NextResponse, type NextRequest } from "next/server";

import { decideRoute } from "@/lib/routes";

import { OFFLINE_ORG_COOKIE, OFFLINE_SESSION_COOKIE } from "./offline-cookies";
import { idpAdmin } from "./offline-idp";

/** A server render waits this long for a token at most; past it, the page loads on the client. */
const TOKEN_TIMEOUT_MS = 2_000;

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

/**
 * A fresh token for the session in the `offline_session` cookie (it carries the session's active
 * organization). Null when there is no session, it has ended, or the provider does not answer.
 */
export async function getConvexToken(): Promise<string | null> {
  const sessionId = (await cookies()).get(OFFLINE_SESSION_COOKIE)?.value;
  if (!sessionId || !/^sess_[A-Za-z0-9]{1,64}$/.test(sessionId)) return null;
  try {
    const path = `/sessions/${encodeURIComponent(sessionId)}/token`;
    const body = await idpAdmin().request("POST", path, undefined, TOKEN_TIMEOUT_MS);
    return typeof body === "object" && body !== null && "jwt" in body && typeof body.jwt === "string" ? body.jwt : null;
  } catch {
    return null;
  }
}
