/**
 * The roles and permissions this app's Clerk instance is configured with (Dashboard → Roles &
 * Permissions), and how Clerk encodes them in a session token. A copy, not an import of
 * convex/model/permissions.ts: in production the two are kept equal by hand, and a test checks they are.
 */
import { IdpError } from "./errors";

/** Organization roles, in Clerk's `org:` form. */
export const ROLES = ["org:admin", "org:member", "org:billing", "org:viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Custom permissions per role, as Clerk lists them in `OrganizationMembership.permissions`. */
export const ROLE_PERMISSIONS: Record<Role, readonly string[]> = {
  "org:admin": ["org:projects:manage", "org:tasks:write", "org:usage:read"],
  "org:member": ["org:tasks:write"],
  "org:billing": ["org:usage:read"],
  "org:viewer": [],
};

/** Accepts `admin` or `org:admin`; anything else is refused with the roles that exist. */
export function parseRole(value: unknown, key = "role"): Role {
  if (typeof value !== "string" || value.trim() === "") {
    throw new IdpError("invalid", `${key} is required: one of ${ROLES.join(", ")}.`);
  }
  const trimmed = value.trim();
  const role = trimmed.startsWith("org:") ? trimmed : `org:${trimmed}`;
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new IdpError("invalid", `${key} "${trimmed}" is not a role of this app: one of ${ROLES.join(", ")}.`);
  }
  return role as Role;
}

/** What a token carries for a role: the top-level `fea` claim and `o.per` / `o.fpm`. */
export type PermissionClaims = { fea?: string; per?: string; fpm?: string };

/**
 * Encodes a role's permissions as Clerk's session token v2 does: `o.per` lists permission actions
 * (`manage,write,read`), the top-level `fea` lists features (`o:projects,o:tasks`), and `o.fpm`
 * holds one bitmask per feature saying which actions it grants.
 */
export function permissionClaims(role: Role): PermissionClaims {
  const keys = ROLE_PERMISSIONS[role];
  // A role without permissions gets no permission claims; readers fall back to "none".
  if (keys.length === 0) return {};
  const features: string[] = [];
  const actions: string[] = [];
  const parsed = keys.map((key) => {
    const [, feature, action] = key.split(":");
    if (feature === undefined || action === undefined)
      throw new Error(`Permission ${key} is not org:<feature>:<action>`);
    if (!features.includes(feature)) features.push(feature);
    if (!actions.includes(action)) actions.push(action);
    return { feature, action };
  });
  // Bit i (least significant first) of a feature's mask grants the i-th action of `per`.
  const masks = features.map((feature) =>
    parsed.filter((p) => p.feature === feature).reduce((mask, p) => mask | (1 << actions.indexOf(p.action)), 0),
  );
  return {
    fea: features.map((feature) => `o:${feature}`).join(","),
    per: actions.join(","),
    fpm: masks.join(","),
  };
}
