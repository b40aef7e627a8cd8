/**
 * What a Convex token says about itself, read without verifying it: for explaining a refusal (the
 * app's development banner, `npm run doctor`), never for trusting anyone. Browser- and Node-safe.
 */
import { decodeJwt } from "jose";

/** The audience `convex/auth.config.ts` accepts (`applicationID`). */
export const CONVEX_AUDIENCE = "convex";

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;

/**
 * The Clerk Frontend API host a publishable key belongs to: `pk_(test|live)_` + base64 of
 * `<host>$`. Null when the key is not shaped like that.
 */
export function publishableKeyHost(key: string): string | null {
  const match = /^pk_(test|live)_([A-Za-z0-9+/_-]+={0,2})$/.exec(key.trim());
  if (!match?.[2]) return null;
  let decoded: string;
  try {
    decoded = atob(match[2].replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
  if (!decoded.endsWith("$")) return null;
  const host = decoded.slice(0, -1);
  return HOSTNAME.test(host) ? host.toLowerCase() : null;
}

/** The issuer tokens of the Clerk instance a publishable key names carry (`https://<host>`). */
export function issuerOfPublishableKey(key: string): string | null {
  const host = publishableKeyHost(key);
  return host === null ? null : `https://${host}`;
}

/**
 * The active organization's id in whichever of Clerk's shapes the token uses, chosen by its version
 * as convex/model/claims.ts (and Clerk) choose it: `v: 2` reads `o.id` (or flattened `o.id`),
 * anything else the JWT template's `org_id`.
 */
function organizationIdClaim(claims: Record<string, unknown>): string | null {
  let id: unknown;
  if (claims.v === 2) {
    const o = claims.o;
    id = typeof o === "object" && o !== null && "id" in o ? (o as { id: unknown }).id : claims["o.id"];
  } else {
    id = claims.org_id;
  }
  return typeof id === "string" && id !== "" ? id : null;
}

export type TokenSummary = {
  iss: string | null;
  /** `aud` as a list (a JWT may carry one audience or several). */
  audiences: string[];
  sub: string | null;
  /** Seconds since the epoch. */
  exp: number | null;
  orgId: string | null;
  /** Clerk's `sts: "pending"`: a session with an unfinished task, which Convex treats as signed out. */
  pending: boolean;
};

/** The claims that decide whether Convex accepts a token for this app; null when it is not a JWT. */
export function summarizeToken(jwt: string): TokenSummary | null {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(jwt.trim());
  } catch {
    return null;
  }
  const aud = claims.aud;
  return {
    iss: typeof claims.iss === "string" ? claims.iss : null,
    audiences: (Array.isArray(aud) ? aud : aud === undefined ? [] : [aud]).filter(
      (value): value is string => typeof value === "string",
    ),
    sub: typeof claims.sub === "string" ? claims.sub : null,
    exp: typeof claims.exp === "number" ? claims.exp : null,
    orgId: organizationIdClaim(claims),
    pending: claims.sts === "pending",
  };
}

/** Issuers compare as Convex compares them: a trailing slash does not matter. */
export function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}
