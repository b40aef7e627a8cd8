import type { PaginationOptions, PaginationResult } from "convex/server";
import { v, type Infer } from "convex/values";
import type { Id } from "../_generated/dataModel";
import type { DatabaseReader, MutationCtx } from "../_generated/server";
import type { Tenant } from "./auth/tenant";
import { boundedPage, mapPage } from "./pagination";
import { loadPerson, personValidator } from "./users";
import { activityActionValidator, type ActivityAction } from "./validators";

export type ActivityEntry = {
  action: ActivityAction;
  label: string;
  projectId?: Id<"projects">;
  taskId?: Id<"tasks">;
  from?: string;
  to?: string;
};

/** Appends to the organization's audit feed; call it in the same mutation as the change. */
export async function recordActivity(ctx: MutationCtx, tenant: Tenant, entry: ActivityEntry): Promise<void> {
  await ctx.db.insert("activity", { orgId: tenant.org._id, actorId: tenant.user._id, ...entry });
}

/** An entry of the feed as clients see it. */
export const activityValidator = v.object({
  _id: v.id("activity"),
  _creationTime: v.number(),
  actor: personValidator,
  action: activityActionValidator,
  projectId: v.optional(v.id("projects")),
  taskId: v.optional(v.id("tasks")),
  label: v.string(),
  from: v.optional(v.string()),
  to: v.optional(v.string()),
});
export type ActivityView = Infer<typeof activityValidator>;

/** One page of the organization's feed, newest first. */
export async function listActivity(
  db: DatabaseReader,
  tenant: Tenant,
  paginationOpts: PaginationOptions,
): Promise<PaginationResult<ActivityView>> {
  const result = await boundedPage(db, paginationOpts, {
    table: "activity",
    keyFields: ["_creationTime", "_id"],
    order: "desc",
    query: (bounds) => db.query("activity").withIndex("by_orgId", (q) => bounds(q.eq("orgId", tenant.org._id))),
  });
  return await mapPage(result, async (entry) => ({
    _id: entry._id,
    _creationTime: entry._creationTime,
    actor: await loadPerson(db, entry.actorId),
    action: entry.action,
    ...(entry.projectId !== undefined && { projectId: entry.projectId }),
    ...(entry.taskId !== undefined && { taskId: entry.taskId }),
    label: entry.label,
    ...(entry.from !== undefined && { from: entry.from }),
    ...(entry.to !== undefined && { to: entry.to }),
  }));
}
