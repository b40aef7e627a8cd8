// The app's server side of offline sign-in: middleware routing on the cookies the /api/offline
// routes keep, and the session's token (from the identity provider, with its API key) for server
// rendering. Edge-safe: the middleware imports it.
import { cookies } from "next/headers";
import { NextResponse, type NextRequest } from "next/server";

import type { IdpAdmin } from "./admin";
import { OFFLINE_ORG_COOKIE, OFFLINE_SESSION_COOKIE } from "./cookies";

/** A server render waits this long for a token at most; past it, the page loads on the client. */
const TOKEN_TIMEOUT_MS = 2_000;

const SESSION_ID = /^sess_[A-Za-z0-9]{1,64}$/;

/** What the middleware knows of a request: its path, and whether its cookies name a session and an organization. */
export type OfflineRouteInput = { pathname: string; search: string; signedIn: boolean; hasOrg: boolean };

/**
 * A Next.js middleware that asks `decide` where a request goes (a path to redirect to, or null to
 * let it through). It reads the cookies only: a stale cookie (the session ended elsewhere) gets the
 * user as far as the app, where the React provider finds the session gone and signs out. Redirects
 * only: the backend checks every request itself.
 */
export function createOfflineMiddleware(decide: (input: OfflineRouteInput) => string | null) {
  return function offlineMiddleware(request: NextRequest): NextResponse {
    const target = decide({
      pathname: request.nextUrl.pathname,
      search: request.nextUrl.search,
      signedIn: Boolean(request.cookies.get(OFFLINE_SESSION_COOKIE)?.value),
      hasOrg: Boolean(request.cookies.get(OFFLINE_ORG_COOKIE)?.value),
    });
    return target === null ? NextResponse.next() : NextResponse.redirect(new URL(target, request.url));
  };
}

/**
 * For server components and route handlers: a fresh token for the session in the request's
 * `offline_session` cookie (it carries the session's active organization). Null when there is no
 * session, it has ended, or the provider does not answer within `timeoutMs` (default 2 s).
 */
export function createSessionTokenGetter(options: { idp: () => IdpAdmin; timeoutMs?: number }) {
  return async function getSessionToken(): Promise<string | null> {
    const sessionId = (await cookies()).get(OFFLINE_SESSION_COOKIE)?.value;
    if (!sessionId || !SESSION_ID.test(sessionId)) return null;
    try {
      const path = `/sessions/${encodeURIComponent(sessionId)}/token`;
      const body = await options.idp().request("POST", path, undefined, options.timeoutMs ?? TOKEN_TIMEOUT_MS);
      return typeof body === "object" && body !== null && "jwt" in body && typeof body.jwt === "string"
        ? body.jwt
        : null;
    } catch {
      return null;
    }
  };
}
