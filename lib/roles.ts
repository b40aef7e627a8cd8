/** The organization roles this app knows (convex/model/permissions.ts), as people read them. */
export const ROLE_OPTIONS = [
  { value: "org:admin", label: "Admin", description: "Manages projects, members and tasks, and sees usage." },
  { value: "org:member", label: "Member", description: "Creates, edits, moves, assigns and deletes tasks." },
  { value: "org:viewer", label: "Viewer", description: "Sees every project and task, and changes nothing." },
  { value: "org:billing", label: "Billing", description: "Sees usage and plan; no changes to project data." },
] as const;

export type RoleValue = (typeof ROLE_OPTIONS)[number]["value"];

/**
 * Member management is Clerk's organization administration, which its default roles give to
 * `org:admin` only; no permission of this app's own stands for it.
 */
export function canManageMembers(role: string): boolean {
  return role === "org:admin";
}
