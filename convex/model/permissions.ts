/** Permissions the code checks. Role names are never checked directly. */
export const PERMISSIONS = ["org:projects:manage", "org:tasks:write", "org:usage:read"] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Roles this app knows, most privileged first (the order decides the "lesser" of two roles). */
export const ROLES = ["org:admin", "org:member", "org:billing", "org:viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Used when a token carries no permission claim; mirrors the permissions configured in Clerk. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  "org:admin": ["org:projects:manage", "org:tasks:write", "org:usage:read"],
  "org:member": ["org:tasks:write"],
  "org:billing": ["org:usage:read"],
  "org:viewer": [],
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/**
 * Clerk writes roles as `admin` in session tokens v2 and `org:admin` elsewhere, and compares them
 * with any run of `org:` prefixes collapsed to one (its `has({ role })`); so does this.
 */
export function normalizeRole(role: string): string {
  return role.replace(/^(org:)*/, "org:");
}

/** Permissions of a role from the table in code; unknown roles get none. */
export function permissionsOfRole(role: string): Permission[] {
  return isRole(role) ? [...ROLE_PERMISSIONS[role]] : [];
}

/** The less privileged of two roles; an unknown role is below every known one. */
export function lesserRole(a: string, b: string): string {
  const rank = (role: string) => (isRole(role) ? ROLES.indexOf(role) : ROLES.length);
  return rank(a) >= rank(b) ? a : b;
}
