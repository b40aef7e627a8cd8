import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { orgQuery } from "./functions";
import { activityValidator, listActivity } from "./model/activity";
import { emptyPage } from "./model/pagination";

/** The organization's activity feed, newest first, paginated. */
export const list = orgQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(activityValidator),
  handler: async (ctx, { paginationOpts }) =>
    ctx.tenant === null ? emptyPage() : await listActivity(ctx.db, ctx.tenant, paginationOpts),
});
