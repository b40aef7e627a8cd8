import type { UserIdentity } from "convex/server";
import { isPermission, isRole, normalizeRole, permissionsOfRole, type Permission } from "./permissions";

/** The active organization as the verified token states it. */
export type OrgClaims = {
  /** Clerk organization id (`o.id` / `"o.id"` / `org_id`). */
  clerkId: string;
  slug: string | null;
  /** Normalized to the `org:` form; may be a role this app does not know. */
  role: string;
  /** What the token grants: its own permission claim, else the role table. Unknown roles get none. */
  permissions: Permission[];
};

export type OrgClaimsResult =
  { status: "none" } | { status: "malformed"; reason: string } | { status: "active"; org: OrgClaims };

export type ParsedClaims = {
  /** Clerk user id (`sub`). */
  userClerkId: string;
  email: string | null;
  name: string | null;
  imageUrl: string | null;
  org: OrgClaimsResult;
};

type RawOrg = {
  id: unknown;
  role: unknown;
  slug: unknown;
  permissions: unknown;
  /** Session tokens v2: per-feature bitmasks over `permissions` (`o.fpm`), and the features (`fea`). */
  featureMasks?: unknown;
  features?: unknown;
  shape: string;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.trim().length > 0;
}

/** Finds the organization claims in whichever of Clerk's three shapes the token uses. */
function findRawOrg(identity: Record<string, unknown>): RawOrg | "malformed" | null {
  const nested = identity.o;
  if (nested !== undefined && nested !== null) {
    // Session token v2: `o: { id, rol, slg, per }`, kept as one claim by a `domain` provider.
    if (!isRecord(nested)) return "malformed";
    return {
      id: nested.id,
      role: nested.rol,
      slug: nested.slg,
      permissions: nested.per,
      featureMasks: nested.fpm,
      features: identity.fea,
      shape: "o",
    };
  }
  if (identity["o.id"] !== undefined) {
    // The same claims flattened by a `customJwt` provider.
    return {
      id: identity["o.id"],
      role: identity["o.rol"],
      slug: identity["o.slg"],
      permissions: identity["o.per"],
      featureMasks: identity["o.fpm"],
      features: identity.fea,
      shape: "o.*",
    };
  }
  if (identity.org_id !== undefined && identity.org_id !== null) {
    // The "convex" JWT template.
    return {
      id: identity.org_id,
      role: identity.org_role,
      slug: identity.org_slug,
      permissions: identity.org_permissions,
      shape: "org_*",
    };
  }
  return null;
}

/** `per` is comma-separated in session tokens, an array in the JWT template. */
function readPermissionList(value: unknown): string[] | "malformed" | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") {
    return value
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
  }
  if (Array.isArray(value) && value.every((p) => typeof p === "string")) return value;
  return "malformed";
}

/**
 * Clerk's session tokens v2 compress permissions: `fea` lists features (`o:projects`, scoped `o`,
 * `ou` or `uo` for organizations), `o.per` lists actions (`manage,write`), and `o.fpm` holds one
 * decimal bitmask per feature whose bit j grants action j. `org:<feature>:<action>` comes back out,
 * as Clerk's own parser rebuilds it.
 */
function decodeFeaturePermissions(raw: RawOrg, actions: string[]): string[] | "malformed" {
  if (typeof raw.featureMasks !== "string" || typeof raw.features !== "string") return "malformed";
  const orgFeatures: string[] = [];
  for (const part of raw.features
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")) {
    const colon = part.indexOf(":");
    if (colon === -1) return "malformed";
    const scope = part.slice(0, colon);
    if (scope === "o" || scope === "ou" || scope === "uo") orgFeatures.push(part.slice(colon + 1));
  }
  const masks = raw.featureMasks.split(",").map((m) => m.trim());
  if (!masks.every((m) => /^\d{1,15}$/.test(m))) return "malformed";
  const keys: string[] = [];
  orgFeatures.forEach((feature, i) => {
    let mask = Number(masks[i] ?? "0");
    for (let bit = 0; mask > 0 && bit < actions.length; bit++, mask = Math.floor(mask / 2)) {
      if (mask % 2 === 1) keys.push(`org:${feature}:${actions[bit]}`);
    }
  });
  return keys;
}

/**
 * Reads the active organization, role and permissions from verified token claims.
 * Malformed claims yield `malformed` (callers deny); nothing here throws.
 */
export function parseOrgClaims(identity: Record<string, unknown>): OrgClaimsResult {
  const raw = findRawOrg(identity);
  if (raw === null) return { status: "none" };
  if (raw === "malformed") return { status: "malformed", reason: "`o` claim is not an object" };
  if (!nonEmptyString(raw.id)) {
    return { status: "malformed", reason: `organization id in ${raw.shape} is missing or not a string` };
  }
  if (!nonEmptyString(raw.role)) {
    return { status: "malformed", reason: `organization role in ${raw.shape} is missing or not a string` };
  }
  if (raw.slug !== undefined && raw.slug !== null && typeof raw.slug !== "string") {
    return { status: "malformed", reason: `organization slug in ${raw.shape} is not a string` };
  }
  let listed = readPermissionList(raw.permissions);
  if (listed === "malformed") {
    return { status: "malformed", reason: `organization permissions in ${raw.shape} are not a list of strings` };
  }
  if (listed !== null && raw.featureMasks !== undefined && raw.featureMasks !== null) {
    listed = decodeFeaturePermissions(raw, listed);
    if (listed === "malformed") {
      return {
        status: "malformed",
        reason: `organization feature permissions (fea, fpm) in ${raw.shape} cannot be read`,
      };
    }
  }
  const role = normalizeRole(raw.role.trim());
  let permissions: Permission[];
  if (!isRole(role)) {
    permissions = [];
  } else if (listed === null) {
    permissions = permissionsOfRole(role);
  } else {
    // Full keys may come without the `org:` prefix; system permissions (org:sys_*) are not ours.
    permissions = [...new Set(listed.map(normalizeRole))].filter(isPermission);
  }
  return {
    status: "active",
    org: { clerkId: raw.id, slug: raw.slug ?? null, role, permissions },
  };
}

/** Turns a verified identity into the caller's Clerk user id and organization claims. */
export function parseClaims(identity: UserIdentity): ParsedClaims {
  const claims = identity as unknown as Record<string, unknown>;
  const stringOrNull = (value: unknown) => (nonEmptyString(value) ? value : null);
  return {
    userClerkId: identity.subject,
    email: stringOrNull(identity.email),
    name: stringOrNull(identity.name),
    imageUrl: stringOrNull(identity.pictureUrl),
    org: parseOrgClaims(claims),
  };
}
