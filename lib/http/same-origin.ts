/**
 * Cross-site request forgery protection for Next.js route handlers that act with the user's session
 * cookie. Every route handler that changes state calls `refuseCrossSite(request)` first.
 *
 * A state-changing request (POST, PUT, PATCH, DELETE) must come from this app's own pages:
 * - `Sec-Fetch-Site`, when the browser sends it (all current browsers do), must be `same-origin`.
 *   Pages cannot set or forge it. `same-site` is refused too: another port of the same host is the
 *   same site, and its pages get the user's SameSite=Lax cookies.
 * - Else `Origin`, when present, must name this host (`X-Forwarded-Host`, else `Host`, with its port).
 *   Browsers send `Origin` on every cross-origin POST, PUT, PATCH and DELETE, fetch or form; `null`
 *   (sandboxed frames, opaque redirects) is refused.
 * - A request with neither header is not from a current browser (curl, a server calling with the
 *   user's cookie, a test runner), so it cannot be a forged browser request, and it passes.
 * - Its body, if any, must be declared JSON (415 otherwise), and a declared non-JSON type is refused
 *   even without a body: HTML forms, the only cross-site senders that need no preflight and that
 *   some older browsers send without `Origin`, can only send form or text types.
 */
import { NextResponse } from "next/server";

/** The methods that may change state; GET, HEAD and OPTIONS must not. */
export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** `application/json` or a `+json` type, with or without parameters (the Convex HTTP API's rule). */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i;

export type CrossSiteRefusal = {
  status: 403 | 415;
  code: "FORBIDDEN" | "UNSUPPORTED_MEDIA_TYPE";
  message: string;
};

/** The host the browser addressed (a reverse proxy names it in X-Forwarded-Host), with its port. */
function requestHost(request: Request): string {
  const forwarded = request.headers.get("x-forwarded-host")?.split(",")[0]?.trim();
  return forwarded || request.headers.get("host") || new URL(request.url).host;
}

/** `host[:port]` as a URL of `protocol` spells it (default ports dropped, lower case), or null. */
function normalHost(protocol: string, host: string): string | null {
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return null;
  }
}

function forbidden(message: string): CrossSiteRefusal {
  return { status: 403, code: "FORBIDDEN", message };
}

function hasBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  return request.headers.has("transfer-encoding") || (length !== null && length.trim() !== "0");
}

/**
 * Why this request may not run with the caller's session, or null when it may. `requireJson`: the
 * handler reads a body, so a request that declares no type is refused too.
 */
export function crossSiteRefusal(request: Request, options: { requireJson?: boolean } = {}): CrossSiteRefusal | null {
  if (!STATE_CHANGING_METHODS.has(request.method.toUpperCase())) return null;

  const site = request.headers.get("sec-fetch-site");
  if (site !== null) {
    if (site.trim().toLowerCase() !== "same-origin") {
      return forbidden(
        `Cross-site request refused: Sec-Fetch-Site is "${site}". ${request.method} requests are accepted only from this app's own pages.`,
      );
    }
  } else {
    const origin = request.headers.get("origin");
    if (origin !== null) {
      let from: URL | null = null;
      try {
        from = origin === "null" ? null : new URL(origin);
      } catch {
        from = null;
      }
      const host = requestHost(request);
      if (from === null || from.host !== normalHost(from.protocol, host)) {
        return forbidden(
          `Cross-origin request refused: Origin "${origin}" is not this app (${host}). ${request.method} requests are accepted only from this app's own pages.`,
        );
      }
    }
  }

  const type = request.headers.get("content-type");
  if (type === null ? options.requireJson === true || hasBody(request) : !JSON_MEDIA_TYPE.test(type.trim())) {
    return {
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
      message: `Send the body as JSON with Content-Type: application/json (got ${type === null ? "none" : `"${type}"`}).`,
    };
  }
  return null;
}

/** The refusal as the JSON error answer route handlers send (`{ error: { code, message } }`), or null. */
export function refuseCrossSite(request: Request, options: { requireJson?: boolean } = {}): NextResponse | null {
  const refusal = crossSiteRefusal(request, options);
  return refusal === null
    ? null
    : NextResponse.json({ error: { code: refusal.code, message: refusal.message } }, { status: refusal.status });
}
