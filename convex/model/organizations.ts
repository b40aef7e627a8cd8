import type { PaginationOptions, PaginationResult } from "convex/server";
import { v, type Infer } from "convex/values";
import type { DatabaseReader } from "../_generated/server";
import { PERMISSIONS } from "./auth/permissions";
import type { Tenant } from "./auth/tenant";
import { readOrgCounters, readTaskCounts, type CountReader } from "./counters";
import { boundedPage, mapPage } from "./pagination";
import { loadPerson, personValidator } from "./users";

export const permissionValidator = v.union(...PERMISSIONS.map((p) => v.literal(p)));

/** The caller's active organization and what they may do in it. */
export const currentOrgValidator = v.object({
  _id: v.id("organizations"),
  name: v.string(),
  slug: v.optional(v.string()),
  imageUrl: v.optional(v.string()),
  role: v.string(),
  permissions: v.array(permissionValidator),
});

export function currentOrg(tenant: Tenant): Infer<typeof currentOrgValidator> {
  const { org } = tenant;
  return {
    _id: org._id,
    name: org.name,
    ...(org.slug !== undefined && { slug: org.slug }),
    ...(org.imageUrl !== undefined && { imageUrl: org.imageUrl }),
    role: tenant.role,
    permissions: tenant.permissions,
  };
}

export const memberValidator = v.object({
  _id: v.id("memberships"),
  user: personValidator,
  role: v.string(),
  // False while the membership is known only from a token, before Clerk's webhook confirms it.
  synced: v.boolean(),
});
export type MemberView = Infer<typeof memberValidator>;

/** One page of the organization's current members with their roles. */
export async function listMembers(
  db: DatabaseReader,
  tenant: Tenant,
  paginationOpts: PaginationOptions,
): Promise<PaginationResult<MemberView>> {
  const result = await boundedPage(db, paginationOpts, {
    table: "memberships",
    keyFields: ["_creationTime", "_id"],
    order: "asc",
    query: (bounds) =>
      db
        .query("memberships")
        .withIndex("by_orgId_and_deletedAt", (q) => bounds(q.eq("orgId", tenant.org._id).eq("deletedAt", undefined))),
  });
  return await mapPage(result, async (membership) => ({
    _id: membership._id,
    user: await loadPerson(db, membership.userId),
    role: membership.role,
    synced: membership.source === "webhook",
  }));
}

export const usageValidator = v.object({ members: v.number(), projects: v.number(), tasks: v.number() });
export type Usage = Infer<typeof usageValidator>;

/** Member, project and task counts from the kept counters: constant reads at any size. */
export async function readUsage(ctx: CountReader, tenant: Tenant): Promise<Usage> {
  const [org, tasks] = await Promise.all([readOrgCounters(ctx, tenant.org._id), readTaskCounts(ctx, tenant.org._id)]);
  return { members: org.members, projects: org.projects, tasks: tasks.todo + tasks.in_progress + tasks.done };
}
