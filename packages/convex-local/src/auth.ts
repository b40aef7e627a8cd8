/**
 * Token verification as a Convex deployment does it: the providers come from the project's
 * `convex/auth.config.ts`; a token is matched to a provider by `iss` (and `aud` = `applicationID`),
 * its signature is checked against the provider's JWKS (found by OIDC discovery for `domain`
 * providers), and its claims become a `UserIdentity` the way Convex maps them
 * (convex-backend crates/keybroker: `UserIdentity::from_token` / `from_custom_jwt`).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import type { AuthConfig, UserIdentity } from "convex/server";
import type { JSONValue } from "convex/values";

/** Seconds of clock difference tolerated on `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** How long an OIDC discovery document is trusted before it is fetched again. */
const DISCOVERY_TTL_MS = 10 * 60 * 1000;
const FETCH_TIMEOUT_MS = 5000;

type DomainProvider = { kind: "domain"; domain: string; applicationID: string };
type CustomJwtProvider = {
  kind: "customJwt";
  issuer: string;
  jwks: string;
  algorithm: "RS256" | "ES256";
  applicationID?: string;
};
export type Provider = DomainProvider | CustomJwtProvider;

/** A refused token: `code` is Convex's error code (`NoAuthProvider`, `IdTokenExpired`, …). */
export class AuthFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "AuthFailure";
  }
}

export type VerifiedToken = {
  identity: UserIdentity;
  /** Stable for a given identity: keys the engine's per-identity caches. */
  key: string;
  /** When the token stops being valid (ms since the epoch). */
  expiresAt: number;
};

// Claims Convex turns into typed UserIdentity fields for OIDC (`domain`) providers (keybroker
// `UserIdentity::from_token`), with the type each must have.
const OIDC_FIELDS: Record<string, { field: string; type: "string" | "boolean" }> = {
  name: { field: "name", type: "string" },
  given_name: { field: "givenName", type: "string" },
  family_name: { field: "familyName", type: "string" },
  nickname: { field: "nickname", type: "string" },
  preferred_username: { field: "preferredUsername", type: "string" },
  profile: { field: "profileUrl", type: "string" },
  picture: { field: "pictureUrl", type: "string" },
  website: { field: "websiteUrl", type: "string" },
  email: { field: "email", type: "string" },
  email_verified: { field: "emailVerified", type: "boolean" },
  gender: { field: "gender", type: "string" },
  birthdate: { field: "birthday", type: "string" },
  zoneinfo: { field: "timezone", type: "string" },
  locale: { field: "language", type: "string" },
  phone_number: { field: "phoneNumber", type: "string" },
  phone_number_verified: { field: "phoneNumberVerified", type: "boolean" },
};
// ID-token claims the OIDC library consumes itself; they never become custom claims.
const OIDC_CONSUMED = new Set([
  "iss",
  "sub",
  "aud",
  "exp",
  "iat",
  "auth_time",
  "nonce",
  "acr",
  "amr",
  "azp",
  "at_hash",
  "c_hash",
  "address",
  "updated_at",
]);
// Registered JWT claims, which a customJwt provider does not pass on.
const JWT_REGISTERED = new Set(["iss", "sub", "aud", "exp", "nbf", "iat", "jti"]);
// Convex drops these because they change on every refresh and would defeat its query cache.
const DROPPED = new Set(["jti", "nbf", "fva"]);
/**
 * UserIdentity's own fields. They come only from their JWT claims (`sub`, `iss`, `email`, …); a
 * custom claim spelled like one of them never takes its place.
 */
const IDENTITY_FIELDS = new Set([
  "tokenIdentifier",
  "subject",
  "issuer",
  ...Object.values(OIDC_FIELDS).map(({ field }) => field),
  "address",
  "updatedAt",
]);

const trimSlash = (url: string) => url.replace(/\/+$/, "");

function audiences(payload: JWTPayload): string[] {
  if (typeof payload.aud === "string") return [payload.aud];
  return Array.isArray(payload.aud) ? payload.aud.filter((aud): aud is string => typeof aud === "string") : [];
}

/** As chrono's `to_rfc3339` writes a UTC time: `2024-01-02T03:04:05+00:00`. */
function rfc3339(seconds: number): string {
  return new Date(seconds * 1000)
    .toISOString()
    .replace(/\.000Z$/, "+00:00")
    .replace(/Z$/, "+00:00");
}

/**
 * The identity Convex gives functions for a verified token from a `domain` (OIDC) provider:
 * typed fields from the standard claims, every other claim as it is (nested claims such as Clerk's
 * `o` stay one claim). A standard claim of the wrong type makes the token invalid, as in the OIDC
 * library a deployment uses.
 */
export function identityFromOidcClaims(payload: JWTPayload): UserIdentity {
  const issuer = String(payload.iss);
  const subject = String(payload.sub);
  const custom: Record<string, JSONValue> = {};
  const typed: Record<string, JSONValue> = {};
  for (const [claim, value] of Object.entries(payload)) {
    if (value === undefined) continue;
    const standard = OIDC_FIELDS[claim];
    if (standard !== undefined) {
      if (typeof value !== standard.type) {
        throw new AuthFailure(
          "InvalidAuthHeader",
          `Could not parse as id token: claim ${claim} is not a ${standard.type}`,
        );
      }
      typed[standard.field] = value as JSONValue;
      continue;
    }
    if (claim === "updated_at" && typeof value === "number") typed.updatedAt = rfc3339(value);
    if (claim === "address" && typeof value === "object" && value !== null) {
      const formatted = (value as { formatted?: unknown }).formatted;
      if (typeof formatted === "string") typed.address = formatted;
    }
    if (OIDC_CONSUMED.has(claim) || DROPPED.has(claim) || IDENTITY_FIELDS.has(claim)) continue;
    custom[claim] = value as JSONValue;
  }
  return { ...custom, ...typed, tokenIdentifier: `${issuer}|${subject}`, subject, issuer } as UserIdentity;
}

function flatten(prefix: string, value: Record<string, unknown>, into: Record<string, JSONValue>): void {
  for (const [key, nested] of Object.entries(value)) {
    const name = prefix === "" ? key : `${prefix}.${key}`;
    if (typeof nested === "object" && nested !== null && !Array.isArray(nested)) {
      flatten(name, nested as Record<string, unknown>, into);
    } else if (nested !== undefined) {
      into[name] = nested as JSONValue;
    }
  }
}

/**
 * The identity Convex gives functions for a verified token from a `customJwt` provider: `subject`,
 * `issuer` and `tokenIdentifier` from `sub` and `iss`; every other claim flattened into dotted names
 * (keybroker `UserIdentity::from_custom_jwt`). No claim replaces those three.
 */
export function identityFromCustomJwtClaims(payload: JWTPayload): UserIdentity {
  const issuer = String(payload.iss);
  const subject = String(payload.sub);
  const custom: Record<string, JSONValue> = {};
  flatten("", Object.fromEntries(Object.entries(payload).filter(([claim]) => !JWT_REGISTERED.has(claim))), custom);
  delete custom.fva;
  for (const reserved of ["tokenIdentifier", "subject", "issuer"]) delete custom[reserved];
  return { ...custom, tokenIdentifier: `${issuer}|${subject}`, subject, issuer } as UserIdentity;
}

/** Reads the providers of an AuthConfig, refusing entries Convex would refuse. */
export function parseProviders(config: unknown): Provider[] {
  const providers = (config as Partial<AuthConfig> | undefined)?.providers;
  if (!Array.isArray(providers)) throw new Error("auth.config.ts must export default { providers: [...] }");
  return providers.map((provider: Record<string, unknown>, index) => {
    const where = `auth.config.ts providers[${index}]`;
    if (provider.type === "customJwt") {
      if (typeof provider.issuer !== "string" || typeof provider.jwks !== "string") {
        throw new Error(`${where}: a customJwt provider needs \`issuer\` and \`jwks\``);
      }
      if (provider.algorithm !== "RS256" && provider.algorithm !== "ES256") {
        throw new Error(`${where}: \`algorithm\` must be "RS256" or "ES256"`);
      }
      if (provider.applicationID !== undefined && typeof provider.applicationID !== "string") {
        throw new Error(`${where}: \`applicationID\` must be a string`);
      }
      return {
        kind: "customJwt",
        issuer: provider.issuer,
        jwks: provider.jwks,
        algorithm: provider.algorithm,
        ...(provider.applicationID !== undefined && { applicationID: provider.applicationID }),
      };
    }
    if (typeof provider.domain !== "string" || typeof provider.applicationID !== "string") {
      throw new Error(`${where}: an OIDC provider needs \`domain\` and \`applicationID\``);
    }
    return { kind: "domain", domain: provider.domain, applicationID: provider.applicationID };
  });
}

/** The providers of `<convexDir>/auth.config.ts`, or an explanation of why there are none. */
export async function loadProviders(convexDir: string): Promise<{ providers: Provider[]; problem?: string }> {
  const file = ["auth.config.ts", "auth.config.js"].map((name) => path.join(convexDir, name)).find(existsSync);
  if (file === undefined) return { providers: [], problem: "no convex/auth.config.ts: every token is refused" };
  try {
    // A fresh import each time: the config reads the deployment's environment when it is evaluated,
    // and a second server in the same process (tests) may have another issuer.
    const url = `${pathToFileURL(file).href}?load=${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const loaded = (await import(url)) as { default?: unknown };
    return { providers: parseProviders(loaded.default) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { providers: [], problem: `convex/auth.config.ts did not load (${message}): every token is refused` };
  }
}

type Jwks = ReturnType<typeof createRemoteJWKSet>;

/** The providers of a push's analysis (`appAuth`), as the verifier uses them. */
export function providersFromAuthInfo(
  authInfo: readonly (
    | { applicationID: string; domain: string }
    | { type: "customJwt"; applicationID: string | null; issuer: string; jwks: string; algorithm: string }
  )[],
): Provider[] {
  return authInfo.map((info): Provider =>
    "type" in info
      ? {
          kind: "customJwt",
          issuer: info.issuer,
          jwks: info.jwks,
          algorithm: info.algorithm as "RS256" | "ES256",
          ...(info.applicationID !== null && { applicationID: info.applicationID }),
        }
      : { kind: "domain", domain: info.domain, applicationID: info.applicationID },
  );
}

/** Verifies user tokens against the deployment's providers; caches discovery, keys and results. */
export class TokenVerifier {
  private readonly discovery = new Map<string, { at: number; jwks: Promise<Jwks> }>();
  private readonly keySets = new Map<string, Jwks>();
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(private currentProviders: readonly Provider[]) {}

  get providers(): readonly Provider[] {
    return this.currentProviders;
  }

  /** Takes the providers of newly pushed code; tokens verified for the old ones are checked again. */
  setProviders(providers: readonly Provider[]): void {
    this.currentProviders = providers;
    this.verified.clear();
  }

  /** One line per provider, for the banner. */
  describe(): string[] {
    return this.providers.map((provider) =>
      provider.kind === "domain"
        ? `${provider.domain} (OIDC, applicationID "${provider.applicationID}")`
        : `${provider.issuer} (customJwt ${provider.algorithm}${provider.applicationID ? `, applicationID "${provider.applicationID}"` : ""})`,
    );
  }

  /** The token's identity; throws AuthFailure when Convex would refuse it. */
  async verify(token: string): Promise<VerifiedToken> {
    const cached = this.verified.get(token);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached;
    this.verified.delete(token);
    const result = await this.verifyUncached(token);
    if (this.verified.size >= 1000) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, result);
    return result;
  }

  private async verifyUncached(token: string): Promise<VerifiedToken> {
    let unverified: JWTPayload;
    try {
      decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw new AuthFailure("InvalidAuthHeader", "Could not parse as id token");
    }
    if (typeof unverified.iss !== "string") throw new AuthFailure("InvalidAuthHeader", "Missing issuer");
    const provider = this.providerFor(unverified);
    const jwks = provider.kind === "domain" ? await this.discover(provider.domain) : this.keySet(provider.jwks);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        algorithms: provider.kind === "domain" ? ["RS256"] : [provider.algorithm],
        issuer: unverified.iss,
        ...(provider.applicationID !== undefined && { audience: provider.applicationID }),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: provider.kind === "domain" ? ["sub", "exp", "iat", "aud"] : ["sub", "exp"],
      }));
    } catch (error) {
      throw refusal(error);
    }
    if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) {
      throw new AuthFailure("Unauthenticated", "Could not verify token claim: issued in the future (iat)");
    }
    const identity =
      provider.kind === "domain" ? identityFromOidcClaims(payload) : identityFromCustomJwtClaims(payload);
    return { identity, key: JSON.stringify(identity), expiresAt: Number(payload.exp) * 1000 };
  }

  private providerFor(payload: JWTPayload): Provider {
    const issuer = trimSlash(String(payload.iss));
    const aud = audiences(payload);
    const provider = this.providers.find((candidate) =>
      candidate.kind === "domain"
        ? trimSlash(candidate.domain) === issuer && aud.includes(candidate.applicationID)
        : trimSlash(candidate.issuer) === issuer &&
          (candidate.applicationID === undefined || aud.includes(candidate.applicationID)),
    );
    if (provider === undefined) {
      throw new AuthFailure(
        "NoAuthProvider",
        `No auth provider found matching the given token (iss ${JSON.stringify(payload.iss)}, aud ${JSON.stringify(payload.aud)}); ` +
          "check convex/auth.config.ts",
      );
    }
    return provider;
  }

  private keySet(url: string): Jwks {
    let jwks = this.keySets.get(url);
    if (jwks === undefined) {
      // A short cooldown lets a restarted local identity provider's new key be picked up at once.
      jwks = createRemoteJWKSet(new URL(url), { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: 1000 });
      this.keySets.set(url, jwks);
    }
    return jwks;
  }

  private async discover(domain: string): Promise<Jwks> {
    const cached = this.discovery.get(domain);
    if (cached !== undefined && Date.now() - cached.at < DISCOVERY_TTL_MS) return await cached.jwks;
    const jwks = (async () => {
      const url = `${trimSlash(domain)}/.well-known/openid-configuration`;
      let metadata: { issuer?: unknown; jwks_uri?: unknown };
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        metadata = (await response.json()) as typeof metadata;
      } catch (error) {
        throw new AuthFailure("Unauthenticated", `OIDC discovery failed at ${url}: ${(error as Error).message}`);
      }
      if (typeof metadata.issuer !== "string" || trimSlash(metadata.issuer) !== trimSlash(domain)) {
        throw new AuthFailure(
          "Unauthenticated",
          `${url} names issuer ${JSON.stringify(metadata.issuer)}, not ${domain}`,
        );
      }
      if (typeof metadata.jwks_uri !== "string") throw new AuthFailure("Unauthenticated", `${url} has no jwks_uri`);
      return this.keySet(metadata.jwks_uri);
    })();
    this.discovery.set(domain, { at: Date.now(), jwks });
    try {
      return await jwks;
    } catch (error) {
      this.discovery.delete(domain);
      throw error;
    }
  }
}

function refusal(error: unknown): AuthFailure {
  if (error instanceof AuthFailure) return error;
  if (error instanceof errors.JOSEError) {
    switch (error.code) {
      case "ERR_JWT_EXPIRED":
        return new AuthFailure("IdTokenExpired", "Token expired");
      case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
        return new AuthFailure("Unauthenticated", "Could not verify token claim: signature verification failed");
      case "ERR_JWKS_NO_MATCHING_KEY":
        return new AuthFailure(
          "Unauthenticated",
          "Could not verify token claim: no key in the provider's JWKS matches",
        );
      case "ERR_JOSE_ALG_NOT_ALLOWED":
        return new AuthFailure("Unauthenticated", "Could not verify token claim: signing algorithm not allowed");
      default:
        return new AuthFailure("Unauthenticated", `Could not verify token claim: ${error.message}`);
    }
  }
  return new AuthFailure("Unauthenticated", `Could not verify token: ${(error as Error).message}`);
}
