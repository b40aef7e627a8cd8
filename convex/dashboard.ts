import { v } from "convex/values";
import { orgQuery } from "./functions";
import { readOrgCounters, readTaskCounts } from "./model/counters";
import { statusCountsValidator } from "./model/validators";

/** Task counts by status for the whole organization, and its project count, from kept counters. */
export const counts = orgQuery({
  args: {},
  returns: v.object({ tasks: statusCountsValidator, projects: v.number() }),
  handler: async (ctx) => {
    if (ctx.tenant === null) return { tasks: { todo: 0, in_progress: 0, done: 0 }, projects: 0 };
    const [tasks, org] = await Promise.all([
      readTaskCounts(ctx, ctx.tenant.org._id),
      readOrgCounters(ctx, ctx.tenant.org._id),
    ]);
    return { tasks, projects: org.projects };
  },
});
