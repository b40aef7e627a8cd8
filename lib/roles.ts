import { canManageMembers, ROLE_DETAILS, type Role } from "@/convex/model/auth/permissions";

export { canManageMembers };

/** The order role pickers and the roles card list them in: by how much project data each reaches. */
const LISTED = ["org:admin", "org:member", "org:viewer", "org:billing"] as const satisfies readonly Role[];
// Fails to compile when a role is added to convex/model/auth/permissions.ts and not placed above.
const listed: [Exclude<Role, (typeof LISTED)[number]>] extends [never] ? typeof LISTED : never = LISTED;

/** The organization roles this app knows (convex/model/auth/permissions.ts), as people read them. */
export const ROLE_OPTIONS = listed.map((value) => ({
  value,
  label: ROLE_DETAILS[value].label,
  description: ROLE_DETAILS[value].description,
}));

export type RoleValue = Role;
