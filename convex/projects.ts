import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { orgMutation, orgQuery } from "./functions";
import { emptyPage } from "./model/pagination";
import {
  createProject,
  createProjectArgs,
  getProjectView,
  listProjects,
  projectValidator,
  removeProject,
  renameProject,
  renameProjectArgs,
  setProjectArchived,
} from "./model/projects";
import { projectStatusValidator } from "./model/validators";

/**
 * The organization's projects with task counts, paginated; active ones unless `status` says
 * archived. A project being deleted carries `deleting` (its progress) until it disappears.
 */
export const list = orgQuery({
  args: {
    status: v.optional(projectStatusValidator),
    paginationOpts: paginationOptsValidator,
  },
  returns: paginationResultValidator(projectValidator),
  handler: async (ctx, { status, paginationOpts }) =>
    ctx.tenant === null ? emptyPage() : await listProjects(ctx, ctx.tenant, status ?? "active", paginationOpts),
});

/** One project, or null when it does not exist in the caller's organization. */
export const get = orgQuery({
  args: { id: v.id("projects") },
  returns: v.union(projectValidator, v.null()),
  handler: async (ctx, { id }) => (ctx.tenant === null ? null : await getProjectView(ctx, ctx.tenant, id)),
});

export const create = orgMutation({
  args: createProjectArgs,
  returns: v.id("projects"),
  permission: "org:projects:manage",
  handler: async (ctx, { name }) => await createProject(ctx, ctx.tenant, name),
});

export const rename = orgMutation({
  args: renameProjectArgs,
  returns: v.null(),
  permission: "org:projects:manage",
  handler: async (ctx, { id, name }) => {
    await renameProject(ctx, ctx.tenant, id, name);
    return null;
  },
});

export const archive = orgMutation({
  args: { id: v.id("projects") },
  returns: v.null(),
  permission: "org:projects:manage",
  handler: async (ctx, { id }) => {
    await setProjectArchived(ctx, ctx.tenant, id, true);
    return null;
  },
});

export const unarchive = orgMutation({
  args: { id: v.id("projects") },
  returns: v.null(),
  permission: "org:projects:manage",
  handler: async (ctx, { id }) => {
    await setProjectArchived(ctx, ctx.tenant, id, false);
    return null;
  },
});

/** Hides the project at once; the work pool deletes its tasks in batches, its list showing the progress. */
export const remove = orgMutation({
  args: { id: v.id("projects") },
  returns: v.null(),
  permission: "org:projects:manage",
  handler: async (ctx, { id }) => {
    await removeProject(ctx, ctx.tenant, id);
    return null;
  },
});
