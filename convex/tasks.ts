import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { orgMutation, orgQuery } from "./functions";
import { emptyPage } from "./model/pagination";
import {
  assignTask,
  assignTaskArgs,
  createTask,
  createTaskArgs,
  getTaskView,
  listAssignedToMe,
  listTasks,
  moveTask,
  moveTaskArgs,
  removeTask,
  taskValidator,
  updateTask,
  updateTaskArgs,
} from "./model/tasks";
import { taskStatusValidator } from "./model/validators";

/** One column of a project's board (tasks in one status, in order), paginated. */
export const listByStatus = orgQuery({
  args: { projectId: v.id("projects"), status: taskStatusValidator, paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(taskValidator),
  handler: async (ctx, { projectId, status, paginationOpts }) =>
    ctx.tenant === null ? emptyPage() : await listTasks(ctx.db, ctx.tenant, projectId, status, paginationOpts),
});

/** The caller's tasks in the active organization, optionally in one status, paginated. */
export const assignedToMe = orgQuery({
  args: { status: v.optional(taskStatusValidator), paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(taskValidator),
  handler: async (ctx, { status, paginationOpts }) =>
    ctx.tenant === null ? emptyPage() : await listAssignedToMe(ctx.db, ctx.tenant, status, paginationOpts),
});

/** One task, or null when it does not exist in the caller's organization. */
export const get = orgQuery({
  args: { id: v.id("tasks") },
  returns: v.union(taskValidator, v.null()),
  handler: async (ctx, { id }) => (ctx.tenant === null ? null : await getTaskView(ctx.db, ctx.tenant, id)),
});

export const create = orgMutation({
  args: createTaskArgs,
  returns: v.id("tasks"),
  permission: "org:tasks:write",
  handler: async (ctx, args) => await createTask(ctx, ctx.tenant, args),
});

/** Edits the title and/or description. */
export const update = orgMutation({
  args: updateTaskArgs,
  returns: v.null(),
  permission: "org:tasks:write",
  handler: async (ctx, { id, ...changes }) => {
    await updateTask(ctx, ctx.tenant, id, changes);
    return null;
  },
});

/** Moves a task to a status, before `beforeId` in that column or to its end. */
export const move = orgMutation({
  args: moveTaskArgs,
  returns: v.null(),
  permission: "org:tasks:write",
  handler: async (ctx, { id, ...to }) => {
    await moveTask(ctx, ctx.tenant, id, to);
    return null;
  },
});

/** Assigns a task to a member of the same organization, or unassigns it with null. */
export const assign = orgMutation({
  args: assignTaskArgs,
  returns: v.null(),
  permission: "org:tasks:write",
  handler: async (ctx, { id, assigneeId }) => {
    await assignTask(ctx, ctx.tenant, id, assigneeId);
    return null;
  },
});

export const remove = orgMutation({
  args: { id: v.id("tasks") },
  returns: v.null(),
  permission: "org:tasks:write",
  handler: async (ctx, { id }) => {
    await removeTask(ctx, ctx.tenant, id);
    return null;
  },
});
