/**
 * Who is calling: the bearer token verified by Clerk's own `verifyToken` (signature, `exp`/`nbf`,
 * `iss`, `aud: "convex"`, `azp`), then read by the same claims parser the Convex functions use
 * (`convex/model/auth/claims.ts`, tested against Clerk's own in convex/claims.clerk.test.ts), so a
 * token grants here exactly what it grants there and in Clerk's `has()`. Verification is
 * networkless with a PEM key; with a JWKS URL the keys are fetched once and kept.
 *
 * What it takes to export: an active session, an active organization and {@link EXPORT_PERMISSION}.
 * Whether the membership still stands is for Convex to say: the data is read through the API with
 * this same token, so a removed member gets nothing even while their token is valid.
 */
import { createPublicKey, type JsonWebKey } from "node:crypto";
import { verifyToken } from "@clerk/backend";
import { TokenVerificationError, TokenVerificationErrorReason } from "@clerk/backend/errors";
import type { ApiErrorBody, ApiErrorCode } from "@tenant-workspace/api-client";
import { isPendingSession, parseOrgClaims } from "../../../convex/model/auth/claims";
import type { Permission } from "../../../convex/model/auth/permissions";
import type { ExportServiceConfig, KeySource } from "./config";

/** Convex's `applicationID` for Clerk: the token is forwarded to the deployment, which accepts only this. */
export const AUDIENCE = "convex";

/**
 * The whole organization's data leaves the workspace: that is for those who answer for all of its
 * projects (admins, by the role table), not for every member who may read them one page at a time.
 */
export const EXPORT_PERMISSION: Permission = "org:projects:manage";

/** How long fetched keys are trusted before they are fetched again; an unknown `kid` refetches sooner. */
const JWKS_MAX_AGE_MS = 10 * 60_000;
const JWKS_MIN_REFETCH_MS = 30_000;
const JWKS_TIMEOUT_MS = 5_000;

export type Caller = {
  /** The Clerk session token, forwarded to the API as is. */
  token: string;
  userId: string;
  /** Clerk session id (`sid`); a JWT template may leave it out. */
  sessionId: string | null;
  orgId: string;
  orgRole: string;
  orgSlug: string | null;
  permissions: Permission[];
};

export type Refusal = { status: 401 | 403; body: ApiErrorBody; challenge?: string };

export type Verdict = { ok: true; caller: Caller } | { ok: false; refusal: Refusal };

function refuse(status: 401 | 403, code: ApiErrorCode, message: string, challengeError?: string): Verdict {
  const challenge =
    status !== 401
      ? undefined
      : challengeError === undefined
        ? 'Bearer realm="export"'
        : `Bearer realm="export", error="${challengeError}", error_description="${message.replace(/["\\]/g, "'")}"`;
  return { ok: false, refusal: { status, body: { error: { code, message } }, ...(challenge && { challenge }) } };
}

/** The token's `kid`, read without trusting it (it only picks the key to verify with). */
function keyIdOf(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8")) as unknown;
    const kid = (header as { kid?: unknown }).kid;
    return typeof kid === "string" ? kid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A JWKS key as the PEM Clerk's `verifyToken` takes as `jwtKey`. Clerk reads the PEM of a 2048-bit
 * RSA key with exponent 65537 (what Clerk issues); anything else is a configuration error.
 */
export function pemOfJwk(jwk: JsonWebKey): string {
  const modulusBytes = typeof jwk.n === "string" ? Buffer.from(jwk.n, "base64url").length : 0;
  if (jwk.kty !== "RSA" || jwk.e !== "AQAB" || modulusBytes !== 256) {
    throw new Error(`JWKS key ${String(jwk.kid)} is not a 2048-bit RSA key with exponent 65537, as Clerk issues.`);
  }
  return createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" }).toString();
}

/** The keys of a JWKS URL by `kid`, fetched on first use, again when old, and when a token names an unknown one. */
class JwksKeys {
  private keys = new Map<string, string>();
  private fetchedAt = 0;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly url: string,
    private readonly fetchImpl: typeof fetch,
  ) {}

  async pemFor(kid: string | undefined): Promise<string | undefined> {
    const age = Date.now() - this.fetchedAt;
    const known = kid !== undefined && this.keys.has(kid);
    if (age > JWKS_MAX_AGE_MS || (!known && age > JWKS_MIN_REFETCH_MS)) await this.refresh();
    // A token without `kid` is checked against the only key, if there is exactly one.
    if (kid === undefined) return this.keys.size === 1 ? [...this.keys.values()][0] : undefined;
    return this.keys.get(kid);
  }

  private async refresh(): Promise<void> {
    this.pending ??= (async () => {
      try {
        const response = await this.fetchImpl(this.url, { signal: AbortSignal.timeout(JWKS_TIMEOUT_MS) });
        if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
        const { keys } = (await response.json()) as { keys?: (JsonWebKey & { kid?: string; use?: string })[] };
        const next = new Map<string, string>();
        for (const jwk of keys ?? []) {
          if (typeof jwk.kid === "string" && jwk.use !== "enc") next.set(jwk.kid, pemOfJwk(jwk));
        }
        this.keys = next;
        this.fetchedAt = Date.now();
      } finally {
        this.pending = null;
      }
    })();
    await this.pending;
  }
}

/** What a person can do about each of Clerk's verification failures. */
function explain(error: TokenVerificationError, config: ExportServiceConfig): string {
  switch (error.reason) {
    case TokenVerificationErrorReason.TokenExpired:
      return "The token has expired: Clerk session tokens live 60 seconds, so get a fresh one (getToken()) right before the request.";
    case TokenVerificationErrorReason.TokenNotActiveYet:
    case TokenVerificationErrorReason.TokenIatInTheFuture:
      return "The token is not valid yet: this machine's clock and Clerk's disagree.";
    case TokenVerificationErrorReason.TokenInvalidAuthorizedParties:
      return `The token was issued to another application, or names none (its azp): this service accepts tokens of ${config.authorizedParties.join(", ")}.`;
    case TokenVerificationErrorReason.TokenInvalidIssuer:
      return `The token comes from another Clerk instance: this service trusts ${config.issuer}.`;
    case TokenVerificationErrorReason.TokenInvalidSignature:
    case TokenVerificationErrorReason.JWKKidMismatch:
      return `The token's signature does not verify with the keys of ${config.issuer}.`;
    default:
      return /audience/i.test(error.message)
        ? `The token is not for Convex: ask Clerk for one with audience "${AUDIENCE}" (the Convex integration's session token, or getToken({ template: "convex" })).`
        : "The bearer token is not a valid Clerk session token.";
  }
}

/** Verifies `Authorization` headers for `config`; the answer says who is calling, or why not. */
export function createTokenVerifier(
  config: ExportServiceConfig,
  options: { fetch?: typeof fetch } = {},
): (authorization: string | undefined) => Promise<Verdict> {
  const source: KeySource = config.key;
  const jwks = source.kind === "jwks" ? new JwksKeys(source.url, options.fetch ?? fetch) : null;

  return async (authorization) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
    if (token === undefined) {
      return refuse(
        401,
        "UNAUTHENTICATED",
        "Missing bearer token. Send `Authorization: Bearer <Clerk session token>`, the token the web app sends to Convex.",
      );
    }

    let claims: Awaited<ReturnType<typeof verifyToken>>;
    try {
      let jwtKey: string | undefined;
      if (jwks === null) jwtKey = (source as { pem: string }).pem;
      else {
        try {
          jwtKey = await jwks.pemFor(keyIdOf(token));
        } catch (error) {
          // The service cannot check anything: a fault of its own, not the caller's.
          throw new Error(`Could not load the signing keys from ${(source as { url: string }).url}: ${String(error)}`, {
            cause: error,
          });
        }
        if (jwtKey === undefined) {
          return refuse(
            401,
            "UNAUTHENTICATED",
            `The token's signing key is not one of ${config.issuer}'s.`,
            "invalid_token",
          );
        }
      }
      claims = await verifyToken(token, {
        jwtKey,
        issuer: config.issuer,
        audience: AUDIENCE,
        authorizedParties: config.authorizedParties,
      });
    } catch (error) {
      if (!(error instanceof TokenVerificationError)) throw error;
      return refuse(401, "UNAUTHENTICATED", `${explain(error, config)} (${error.message})`, "invalid_token");
    }

    // Clerk checks `aud` only when the token has one; Convex requires it.
    const audiences = [claims.aud].flat();
    if (!audiences.includes(AUDIENCE)) {
      return refuse(
        401,
        "UNAUTHENTICATED",
        `The token has no audience "${AUDIENCE}": ask Clerk for one issued for Convex (the Convex integration, or getToken({ template: "convex" })).`,
        "invalid_token",
      );
    }

    const payload = claims as unknown as Record<string, unknown>;
    if (isPendingSession(payload)) {
      return refuse(
        401,
        "UNAUTHENTICATED",
        "The session is pending: Clerk counts it as signed out until its tasks are done (choose an organization, reset the password, set up MFA).",
        "invalid_token",
      );
    }
    const org = parseOrgClaims(payload);
    if (org.status === "none") {
      return refuse(
        403,
        "FORBIDDEN",
        "No active organization in the token: an export is of one organization. Make one active (Clerk's setActive({ organization })) and send a fresh token.",
      );
    }
    if (org.status === "malformed") {
      return refuse(403, "FORBIDDEN", `The token's organization claims are malformed: ${org.reason}`);
    }
    if (!org.org.permissions.includes(EXPORT_PERMISSION)) {
      return refuse(
        403,
        "FORBIDDEN",
        `Exporting the organization needs the ${EXPORT_PERMISSION} permission, which the role ${org.org.role} does not have here.`,
      );
    }
    return {
      ok: true,
      caller: {
        token,
        userId: claims.sub,
        sessionId: typeof claims.sid === "string" ? claims.sid : null,
        orgId: org.org.clerkId,
        orgRole: org.org.role,
        orgSlug: org.org.slug,
        permissions: org.org.permissions,
      },
    };
  };
}
