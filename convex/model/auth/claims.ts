import type { UserIdentity } from "convex/server";
import { isPermission, normalizeRole, permissionsOfRole, type Permission } from "./permissions";

/**
 * Reads Clerk's claims the way Clerk's own SDK does (`@clerk/shared`'s JWT payload parser, then
 * `has({ permission })`), so a token grants here exactly what it grants in Clerk. The one addition:
 * a token that says nothing about permissions falls back to the role table in `permissions.ts`.
 * `convex/claims.clerk.test.ts` runs both parsers side by side over generated tokens.
 */

/** The active organization as the verified token states it. */
export type OrgClaims = {
  /** Clerk organization id (`o.id` / `"o.id"` / `org_id`). */
  clerkId: string;
  slug: string | null;
  /** Normalized to the `org:` form; may be a role this app does not know. */
  role: string;
  /** What the token grants, limited to this app's permissions. */
  permissions: Permission[];
  /**
   * Where the permissions came from: the token's own claims, or the role table because the token
   * carries no permission claims at all (see `readPermissions`).
   */
  permissionsFrom: "token" | "role";
};

export type OrgClaimsResult =
  { status: "none" } | { status: "malformed"; reason: string } | { status: "active"; org: OrgClaims };

export type ParsedClaims = {
  /** Clerk user id (`sub`). */
  userClerkId: string;
  email: string | null;
  name: string | null;
  imageUrl: string | null;
  /**
   * Clerk's session status (`sts`). A `pending` session has an unfinished task (choose an
   * organization, reset the password, set up MFA) and counts as signed out, as it does for Clerk.
   */
  pending: boolean;
  org: OrgClaimsResult;
};

type Claims = Record<string, unknown>;

function isRecord(value: unknown): value is Claims {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function absent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** Whether the token belongs to a session Clerk treats as signed out until its tasks are done. */
export function isPendingSession(claims: Claims): boolean {
  return claims.sts === "pending";
}

/** The organization part of a session token v2 (`v: 2`), nested as issued or flattened by a customJwt provider. */
type V2Org = { id: unknown; rol: unknown; slg: unknown; per: unknown; fpm: unknown; shape: "o" | "o.*" };

function findV2Org(claims: Claims): V2Org | "malformed" | null {
  const nested = claims.o;
  if (!absent(nested)) {
    if (!isRecord(nested)) return "malformed";
    return { id: nested.id, rol: nested.rol, slg: nested.slg, per: nested.per, fpm: nested.fpm, shape: "o" };
  }
  if (!absent(claims["o.id"]) || !absent(claims["o.rol"])) {
    return {
      id: claims["o.id"],
      rol: claims["o.rol"],
      slg: claims["o.slg"],
      per: claims["o.per"],
      fpm: claims["o.fpm"],
      shape: "o.*",
    };
  }
  return null;
}

/**
 * Bits of a decimal mask of any length, least significant first, as Clerk's parser reads them
 * (digit by digit); null for anything but digits.
 */
function maskBits(decimal: string, count: number): boolean[] | null {
  if (!/^\d+$/.test(decimal)) return null;
  let value = BigInt(decimal);
  const bits: boolean[] = [];
  for (let i = 0; i < count; i++, value >>= 1n) bits.push((value & 1n) === 1n);
  return bits;
}

/**
 * Organization features named in `fea` (scopes `o`, `ou`, `uo`), in order. An element without a
 * scope makes Clerk's parser throw, so it is malformed here.
 */
function orgFeatures(fea: unknown): string[] | "malformed" {
  if (absent(fea) || fea === "") return [];
  if (typeof fea !== "string") return "malformed";
  const features: string[] = [];
  for (const raw of fea.split(",")) {
    const part = raw.trim();
    const colon = part.indexOf(":");
    if (colon === -1) return "malformed";
    const scope = part.slice(0, colon);
    if (scope === "o" || scope === "ou" || scope === "uo") features.push(part.slice(colon + 1));
  }
  return features;
}

/**
 * Session tokens v2 compress permissions: `fea` lists features, `o.per` actions, and `o.fpm` one
 * decimal bitmask per feature whose bit j grants action j, giving `org:<feature>:<action>`. Without
 * both `o.per` and `o.fpm` the token grants no permission, as for Clerk (that is how Clerk Billing
 * withholds a feature the organization's plan lacks).
 */
function decodeV2Permissions(org: V2Org, fea: unknown): string[] | "malformed" {
  const features = orgFeatures(fea);
  if (features === "malformed") return "malformed";
  if (!absent(org.per) && typeof org.per !== "string") return "malformed";
  if (!absent(org.fpm) && typeof org.fpm !== "string") return "malformed";
  if (!nonEmptyString(org.per) || !nonEmptyString(org.fpm)) return [];
  // Not filtered: an empty action keeps its position, as the masks' bits count positions.
  const actions = org.per.split(",").map((action) => action.trim());
  const masks = org.fpm.split(",").map((mask) => mask.trim());
  const keys: string[] = [];
  features.forEach((feature, i) => {
    const mask = masks[i];
    const bits = mask === undefined ? null : maskBits(mask, actions.length);
    bits?.forEach((granted, j) => {
      if (granted) keys.push(`org:${feature}:${actions[j]}`);
    });
  });
  return keys;
}

/** This app's permissions among the keys a token grants (other apps' and Clerk's system ones dropped). */
function ours(keys: readonly unknown[]): Permission[] {
  return [...new Set(keys.filter((key): key is Permission => typeof key === "string" && isPermission(key)))];
}

function fromRole(role: string): Pick<OrgClaims, "permissions" | "permissionsFrom"> {
  return { permissions: permissionsOfRole(role), permissionsFrom: "role" };
}

/** Session token v2 (`v: 2`): `o: { id, rol, slg, per, fpm }` with `fea` (and `pla`) at the top level. */
function parseV2(claims: Claims): OrgClaimsResult {
  const org = findV2Org(claims);
  if (org === null) return { status: "none" };
  if (org === "malformed") return { status: "malformed", reason: "`o` claim is not an object" };
  // Clerk reads an organization without an id as none, and one without a role as no signed-in state.
  if (absent(org.id) || org.id === "") return { status: "none" };
  if (!nonEmptyString(org.id))
    return { status: "malformed", reason: `organization id in ${org.shape} is not a string` };
  if (!nonEmptyString(org.rol)) {
    return { status: "malformed", reason: `organization role in ${org.shape} is missing or not a string` };
  }
  if (!absent(org.slg) && typeof org.slg !== "string") {
    return { status: "malformed", reason: `organization slug in ${org.shape} is not a string` };
  }
  // Clerk prefixes the short role (`admin` → `org:admin`).
  const role = normalizeRole(`org:${org.rol}`);
  // The role table stands in only for a token that says nothing about permissions: no features,
  // no plan, no `per`/`fpm`. Any of them means Clerk decided, and its answer (maybe none) stands.
  const silent = [claims.fea, claims.pla, org.per, org.fpm].every(absent);
  let access: Pick<OrgClaims, "permissions" | "permissionsFrom">;
  if (silent) {
    access = fromRole(role);
  } else {
    const keys = decodeV2Permissions(org, claims.fea);
    if (keys === "malformed") {
      return {
        status: "malformed",
        reason: `organization permissions (fea, o.per, o.fpm) in ${org.shape} cannot be read`,
      };
    }
    access = { permissions: ours(keys), permissionsFrom: "token" };
  }
  return { status: "active", org: { clerkId: org.id, slug: org.slg ?? null, role, ...access } };
}

/** The "convex" JWT template (and session tokens v1): flat `org_id`, `org_role`, `org_slug`, `org_permissions`. */
function parseTemplate(claims: Claims): OrgClaimsResult {
  const id = claims.org_id;
  if (absent(id) || id === "") return { status: "none" };
  if (!nonEmptyString(id)) return { status: "malformed", reason: "org_id is not a string" };
  if (!nonEmptyString(claims.org_role)) return { status: "malformed", reason: "org_role is missing or not a string" };
  const slug = claims.org_slug;
  if (!absent(slug) && typeof slug !== "string") return { status: "malformed", reason: "org_slug is not a string" };
  const role = normalizeRole(claims.org_role);
  const listed = claims.org_permissions;
  let access: Pick<OrgClaims, "permissions" | "permissionsFrom">;
  if (absent(listed)) {
    access = fromRole(role);
  } else if (Array.isArray(listed)) {
    access = { permissions: ours(listed), permissionsFrom: "token" };
  } else {
    // Clerk's `has()` reads only a list; anything else grants nothing.
    access = { permissions: [], permissionsFrom: "token" };
  }
  return { status: "active", org: { clerkId: id, slug: slug ?? null, role, ...access } };
}

/**
 * Reads the active organization, role and permissions from verified token claims. Like Clerk's
 * parser, the shape follows the token's version: `v: 2` is a session token v2, anything else the
 * flat claims of a JWT template. Malformed claims yield `malformed` (callers deny); nothing here throws.
 */
export function parseOrgClaims(claims: Claims): OrgClaimsResult {
  return claims.v === 2 ? parseV2(claims) : parseTemplate(claims);
}

/** Turns a verified identity into the caller's Clerk user id, session status and organization claims. */
export function parseClaims(identity: UserIdentity): ParsedClaims {
  const claims = identity as unknown as Claims;
  const stringOrNull = (value: unknown) => (nonEmptyString(value) && value.trim() !== "" ? value : null);
  return {
    userClerkId: identity.subject,
    email: stringOrNull(identity.email),
    name: stringOrNull(identity.name),
    imageUrl: stringOrNull(identity.pictureUrl),
    pending: isPendingSession(claims),
    org: parseOrgClaims(claims),
  };
}
