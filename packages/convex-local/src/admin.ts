/**
 * The deployment's admin key, as a self-hosted deployment checks it: the CLI sends it as
 * `Authorization: Convex <key>` (with `:<base64 identity>` appended to act as a user), the
 * deployment API's pushes also carry it in their body, and the sync protocol takes it in an
 * `Authenticate` message of type `Admin`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { UserIdentity } from "convex/server";

/** A request the deployment refuses for its key; `status`, `code` and `message` as a deployment answers. */
export class AdminKeyRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AdminKeyRefused";
  }
}

export type AdminCredentials = { actingAs: UserIdentity | null };

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

export class AdminAuth {
  private readonly expected: Buffer;

  constructor(
    key: string,
    readonly instanceName: string,
  ) {
    this.expected = digest(key);
  }

  /** Whether `candidate` is the admin key (compared in constant time). */
  matches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.expected);
  }

  /** The refusal of a key that is not this deployment's. */
  badKey(): AdminKeyRefused {
    return new AdminKeyRefused(401, "BadAdminKey", "The provided admin key was invalid for this instance");
  }

  /** The refusal of a deployment API request that carries no key. */
  missingKey(): AdminKeyRefused {
    return new AdminKeyRefused(
      401,
      "BadDeployKey",
      `The provided deploy key was invalid for deployment '${this.instanceName}'. Double check that the environment this key was generated for matches the desired deployment.`,
    );
  }

  /**
   * The admin behind `Convex <key>[:<base64 identity JSON>]` (the value after `Convex `); throws
   * AdminKeyRefused when the key is not this deployment's.
   */
  credentials(value: string): AdminCredentials {
    if (this.matches(value)) return { actingAs: null };
    const separator = value.lastIndexOf(":");
    if (separator > 0 && this.matches(value.slice(0, separator))) {
      let identity: unknown;
      try {
        identity = JSON.parse(Buffer.from(value.slice(separator + 1), "base64").toString("utf8"));
      } catch {
        throw new AdminKeyRefused(400, "InvalidActingAsIdentity", "The identity to act as is not base64-encoded JSON");
      }
      if (typeof identity !== "object" || identity === null || Array.isArray(identity)) {
        throw new AdminKeyRefused(400, "InvalidActingAsIdentity", "The identity to act as must be an object");
      }
      return { actingAs: withIdentityFields(identity as Record<string, unknown>) };
    }
    throw this.badKey();
  }

  /** The admin of a request's `Authorization` header; throws when it is missing or wrong. */
  fromHeader(header: string | undefined): AdminCredentials {
    if (header === undefined || header === "") throw this.missingKey();
    const match = /^Convex\s+(\S+)$/i.exec(header);
    if (match === null) throw this.missingKey();
    return this.credentials(match[1]!);
  }
}

/** As a deployment fills in an identity an admin acts as (the CLI's `--identity`). */
export function withIdentityFields(identity: Record<string, unknown>): UserIdentity {
  const subject = typeof identity.subject === "string" ? identity.subject : "";
  const issuer = typeof identity.issuer === "string" ? identity.issuer : "https://convex.test";
  const tokenIdentifier =
    typeof identity.tokenIdentifier === "string" ? identity.tokenIdentifier : `${issuer}|${subject}`;
  return { ...identity, subject, issuer, tokenIdentifier } as UserIdentity;
}
