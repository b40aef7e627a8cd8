import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { orgQuery } from "./functions";
import {
  currentOrg,
  currentOrgValidator,
  listMembers,
  memberValidator,
  readUsage,
  usageValidator,
} from "./model/organizations";
import { emptyPage } from "./model/pagination";

/** The active organization with the caller's effective role and permissions; null before provisioning. */
export const current = orgQuery({
  args: {},
  returns: v.union(currentOrgValidator, v.null()),
  handler: async (ctx) => (ctx.tenant === null ? null : currentOrg(ctx.tenant)),
});

/** Members of the active organization with their roles, paginated. */
export const members = orgQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(memberValidator),
  handler: async (ctx, { paginationOpts }) =>
    ctx.tenant === null ? emptyPage() : await listMembers(ctx.db, ctx.tenant, paginationOpts),
});

/** Counts of members, projects and tasks, for holders of `org:usage:read`. */
export const usage = orgQuery({
  args: {},
  returns: usageValidator,
  permission: "org:usage:read",
  handler: async (ctx) =>
    ctx.tenant === null ? { members: 0, projects: 0, tasks: 0 } : await readUsage(ctx, ctx.tenant),
});
