/**
 * The roles and permissions of an organization, with how people read them: the one home of these
 * facts for the backend, the HTTP API's documentation and the app (lib/roles.ts).
 */

/** Permissions the code checks, with what each allows. Role names are never checked directly. */
export const PERMISSION_DETAILS = {
  "org:projects:manage": { label: "Manage projects", description: "Create, rename, archive and delete projects." },
  "org:tasks:write": { label: "Write tasks", description: "Create, edit, move, assign and delete tasks." },
  "org:usage:read": { label: "Read usage", description: "See the organization's member, project and task counts." },
} as const satisfies Record<`org:${string}:${string}`, { label: string; description: string }>;

export type Permission = keyof typeof PERMISSION_DETAILS;
export const PERMISSIONS = Object.keys(PERMISSION_DETAILS) as readonly Permission[];

type RoleDetails = {
  label: string;
  description: string;
  /** Used when a token carries no permission claim; mirrors the permissions configured in Clerk. */
  permissions: readonly Permission[];
  /**
   * Member management is Clerk's organization administration, which its default roles give to
   * `org:admin` only; no permission of this app's own stands for it.
   */
  managesMembers: boolean;
};

/** The roles this app knows, most privileged first (the order decides the "lesser" of two roles). */
export const ROLE_DETAILS = {
  "org:admin": {
    label: "Admin",
    description: "Manages projects, members and tasks, and sees usage.",
    permissions: ["org:projects:manage", "org:tasks:write", "org:usage:read"],
    managesMembers: true,
  },
  "org:member": {
    label: "Member",
    description: "Creates, edits, moves, assigns and deletes tasks.",
    permissions: ["org:tasks:write"],
    managesMembers: false,
  },
  "org:billing": {
    label: "Billing",
    description: "Sees usage and plan; no changes to project data.",
    permissions: ["org:usage:read"],
    managesMembers: false,
  },
  "org:viewer": {
    label: "Viewer",
    description: "Sees every project and task, and changes nothing.",
    permissions: [],
    managesMembers: false,
  },
} as const satisfies Record<`org:${string}`, RoleDetails>;

export type Role = keyof typeof ROLE_DETAILS;
export const ROLES = Object.keys(ROLE_DETAILS) as readonly Role[];

/** Each role's permissions from the table above. */
export const ROLE_PERMISSIONS = Object.fromEntries(
  ROLES.map((role) => [role, ROLE_DETAILS[role].permissions as readonly Permission[]]),
) as Record<Role, readonly Permission[]>;

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

/** Whether a role administers the organization's members in Clerk (invites, removals, role changes). */
export function canManageMembers(role: string): boolean {
  return isRole(role) && ROLE_DETAILS[role].managesMembers;
}
