import type { PaginationOptions, PaginationResult } from "convex/server";
import { v, type Infer } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import type { DatabaseReader, MutationCtx } from "../_generated/server";
import { recordActivity } from "./activity";
import { getMembership, type Tenant } from "./auth/tenant";
import { adjustTaskCounts } from "./counters";
import { appError } from "./errors";
import { boundedPage, mapPage, type PageBounds } from "./pagination";
import { getProject, getProjectOrThrow, getWritableProjectOrThrow } from "./projects";
import { cleanText } from "./text";
import { loadPerson, personValidator } from "./users";
import { taskStatusValidator, type TaskStatus } from "./validators";

/** A task as clients see it. */
export const taskValidator = v.object({
  _id: v.id("tasks"),
  _creationTime: v.number(),
  projectId: v.id("projects"),
  title: v.string(),
  description: v.optional(v.string()),
  status: taskStatusValidator,
  position: v.number(),
  assignee: v.union(personValidator, v.null()),
  updatedAt: v.number(),
});
export type TaskView = Infer<typeof taskValidator>;

/** The longest task title and description, in characters after trimming. */
export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 5000;

/** Arguments of the task mutations; the HTTP API derives its request bodies from them. */
export const createTaskArgs = {
  projectId: v.id("projects"),
  title: v.string(),
  description: v.optional(v.string()),
  status: v.optional(taskStatusValidator),
  assigneeId: v.optional(v.id("users")),
};
export const updateTaskArgs = { id: v.id("tasks"), title: v.optional(v.string()), description: v.optional(v.string()) };
export const moveTaskArgs = { id: v.id("tasks"), status: taskStatusValidator, beforeId: v.optional(v.id("tasks")) };
export const assignTaskArgs = { id: v.id("tasks"), assigneeId: v.union(v.id("users"), v.null()) };

/** A column larger than this is not renumbered in one transaction. */
const RENUMBER_LIMIT = 1000;

async function toView(db: DatabaseReader, task: Doc<"tasks">): Promise<TaskView> {
  return {
    _id: task._id,
    _creationTime: task._creationTime,
    projectId: task.projectId,
    title: task.title,
    ...(task.description !== undefined && { description: task.description }),
    status: task.status,
    position: task.position,
    assignee: task.assigneeId === undefined ? null : await loadPerson(db, task.assigneeId),
    updatedAt: task.updatedAt,
  };
}

/** Returns the task if it belongs to the tenant's organization and its project is visible. */
export async function getTask(db: DatabaseReader, tenant: Tenant, id: Id<"tasks">): Promise<Doc<"tasks"> | null> {
  const task = await db.get("tasks", id);
  if (task === null || task.orgId !== tenant.org._id) return null;
  const project = await getProject(db, tenant, task.projectId);
  return project === null ? null : task;
}

/** Like getTask, but throws NOT_FOUND (the same answer for another organization's id). */
export async function getTaskOrThrow(db: DatabaseReader, tenant: Tenant, id: Id<"tasks">): Promise<Doc<"tasks">> {
  const task = await getTask(db, tenant, id);
  if (task === null) throw appError("NOT_FOUND", "Task not found. It may have been deleted.");
  return task;
}

export async function getTaskView(db: DatabaseReader, tenant: Tenant, id: Id<"tasks">) {
  const task = await getTask(db, tenant, id);
  return task === null ? null : await toView(db, task);
}

function columnQuery(
  db: DatabaseReader,
  task: Pick<Doc<"tasks">, "orgId" | "projectId">,
  status: TaskStatus,
  bounds: PageBounds = (q) => q,
) {
  return db
    .query("tasks")
    .withIndex("by_orgId_and_projectId_and_status_and_position", (q) =>
      bounds(q.eq("orgId", task.orgId).eq("projectId", task.projectId).eq("status", status)),
    );
}

/** One page of a project's tasks in one status, in board order. */
export async function listTasks(
  db: DatabaseReader,
  tenant: Tenant,
  projectId: Id<"projects">,
  status: TaskStatus,
  paginationOpts: PaginationOptions,
): Promise<PaginationResult<TaskView>> {
  const project = await getProjectOrThrow(db, tenant, projectId);
  const result = await boundedPage(db, paginationOpts, {
    table: "tasks",
    keyFields: ["position", "_creationTime", "_id"],
    order: "asc",
    query: (bounds) => columnQuery(db, { orgId: tenant.org._id, projectId: project._id }, status, bounds),
  });
  return await mapPage(result, (task) => toView(db, task));
}

/** One page of the caller's tasks in the organization, optionally in one status. */
export async function listAssignedToMe(
  db: DatabaseReader,
  tenant: Tenant,
  status: TaskStatus | undefined,
  paginationOpts: PaginationOptions,
): Promise<PaginationResult<TaskView>> {
  const result = await boundedPage(db, paginationOpts, {
    table: "tasks",
    // Without a status the list runs across the statuses, so the status is part of a row's position.
    keyFields: status === undefined ? ["status", "_creationTime", "_id"] : ["_creationTime", "_id"],
    order: "asc",
    query: (bounds) =>
      db.query("tasks").withIndex("by_orgId_and_assigneeId_and_status", (q) => {
        const mine = q.eq("orgId", tenant.org._id).eq("assigneeId", tenant.user._id);
        return status === undefined ? bounds(mine) : bounds(mine.eq("status", status));
      }),
  });
  // Tasks of a project being deleted are hidden at once, before their batch removes them.
  return await mapPage(result, async (task) =>
    (await getProject(db, tenant, task.projectId)) === null ? null : await toView(db, task),
  );
}

async function endOfColumn(db: DatabaseReader, task: Pick<Doc<"tasks">, "orgId" | "projectId">, status: TaskStatus) {
  const last = await columnQuery(db, task, status).order("desc").first();
  return last === null ? 1 : Math.floor(last.position) + 1;
}

/** Gives a column's tasks evenly spaced whole positions; bounded, for the rare exhausted gap. */
async function renumberColumn(ctx: MutationCtx, task: Pick<Doc<"tasks">, "orgId" | "projectId">, status: TaskStatus) {
  const rows = await columnQuery(ctx.db, task, status).take(RENUMBER_LIMIT + 1);
  if (rows.length > RENUMBER_LIMIT) {
    throw appError("CONFLICT", "This column is too crowded to reorder here. Move the task to the end instead.");
  }
  for (const [index, row] of rows.entries()) {
    await ctx.db.patch("tasks", row._id, { position: index + 1 });
  }
}

/** A position for `moving` just before `before` in its column, renumbering if the gap ran out. */
async function positionBefore(ctx: MutationCtx, moving: Id<"tasks"> | null, before: Doc<"tasks">): Promise<number> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const anchor = (await ctx.db.get("tasks", before._id))!;
    const candidates = await ctx.db
      .query("tasks")
      .withIndex("by_orgId_and_projectId_and_status_and_position", (q) =>
        q
          .eq("orgId", anchor.orgId)
          .eq("projectId", anchor.projectId)
          .eq("status", anchor.status)
          .lt("position", anchor.position),
      )
      .order("desc")
      .take(2);
    const prev = candidates.find((row) => row._id !== moving);
    const position = prev === undefined ? anchor.position - 1 : (prev.position + anchor.position) / 2;
    if (position < anchor.position && (prev === undefined || position > prev.position)) return position;
    await renumberColumn(ctx, anchor, anchor.status);
  }
  throw new Error("Could not find a position after renumbering the column");
}

async function requireAssignableMember(ctx: MutationCtx, tenant: Tenant, userId: Id<"users">) {
  const user = await ctx.db.get("users", userId);
  const membership = user === null ? null : await getMembership(ctx.db, tenant.org, user);
  if (user === null || user.deletedAt !== undefined || membership === null || membership.deletedAt !== undefined) {
    throw appError("INVALID", "Tasks can only be assigned to members of this organization.");
  }
  return user;
}

export type NewTask = {
  projectId: Id<"projects">;
  title: string;
  description?: string;
  status?: TaskStatus;
  assigneeId?: Id<"users">;
};

export async function createTask(ctx: MutationCtx, tenant: Tenant, input: NewTask): Promise<Id<"tasks">> {
  const project = await getWritableProjectOrThrow(ctx.db, tenant, input.projectId);
  const title = cleanText(input.title, "Task title", { max: TITLE_MAX });
  const description =
    input.description === undefined
      ? undefined
      : cleanText(input.description, "Task description", { max: DESCRIPTION_MAX, allowEmpty: true });
  if (input.assigneeId !== undefined) await requireAssignableMember(ctx, tenant, input.assigneeId);
  const status = input.status ?? "todo";
  const placement = { orgId: tenant.org._id, projectId: project._id };
  const id = await ctx.db.insert("tasks", {
    ...placement,
    title,
    ...(description ? { description } : {}),
    status,
    position: await endOfColumn(ctx.db, placement, status),
    ...(input.assigneeId !== undefined && { assigneeId: input.assigneeId }),
    createdBy: tenant.user._id,
    updatedAt: Date.now(),
  });
  await adjustTaskCounts(ctx, placement, { [status]: 1 });
  await recordActivity(ctx, tenant, { action: "task.created", projectId: project._id, taskId: id, label: title });
  return id;
}

export async function updateTask(
  ctx: MutationCtx,
  tenant: Tenant,
  id: Id<"tasks">,
  changes: { title?: string; description?: string },
) {
  const task = await getTaskOrThrow(ctx.db, tenant, id);
  await getWritableProjectOrThrow(ctx.db, tenant, task.projectId);
  const patch: Partial<Pick<Doc<"tasks">, "title" | "description">> = {};
  if (changes.title !== undefined) patch.title = cleanText(changes.title, "Task title", { max: TITLE_MAX });
  if (changes.description !== undefined) {
    const description = cleanText(changes.description, "Task description", { max: DESCRIPTION_MAX, allowEmpty: true });
    patch.description = description === "" ? undefined : description;
  }
  const changed =
    (patch.title !== undefined && patch.title !== task.title) ||
    ("description" in patch && patch.description !== task.description);
  if (!changed) return;
  await ctx.db.patch("tasks", id, { ...patch, updatedAt: Date.now() });
  await recordActivity(ctx, tenant, {
    action: "task.edited",
    projectId: task.projectId,
    taskId: id,
    label: patch.title ?? task.title,
    ...(patch.title !== undefined && patch.title !== task.title && { from: task.title, to: patch.title }),
  });
}

/**
 * Moves a task to `status`, just before `beforeId` in that column, or to its end when `beforeId`
 * is omitted. The anchor must be another task of the same project in that status.
 */
export async function moveTask(
  ctx: MutationCtx,
  tenant: Tenant,
  id: Id<"tasks">,
  to: { status: TaskStatus; beforeId?: Id<"tasks"> },
) {
  const task = await getTaskOrThrow(ctx.db, tenant, id);
  await getWritableProjectOrThrow(ctx.db, tenant, task.projectId);
  let position: number;
  if (to.beforeId === undefined) {
    const last = await columnQuery(ctx.db, task, to.status).order("desc").first();
    if (last?._id === task._id) return;
    position = last === null ? 1 : Math.floor(last.position) + 1;
  } else {
    if (to.beforeId === id) throw appError("INVALID", "A task cannot be placed before itself.");
    const before = await getTask(ctx.db, tenant, to.beforeId);
    if (before === null || before.projectId !== task.projectId || before.status !== to.status) {
      throw appError("INVALID", "beforeId must be another task of the same project in the target status.");
    }
    position = await positionBefore(ctx, id, before);
  }
  await ctx.db.patch("tasks", id, { status: to.status, position, updatedAt: Date.now() });
  if (to.status !== task.status) {
    await adjustTaskCounts(ctx, task, { [task.status]: -1, [to.status]: 1 });
  }
  await recordActivity(ctx, tenant, {
    action: "task.moved",
    projectId: task.projectId,
    taskId: id,
    label: task.title,
    from: task.status,
    to: to.status,
  });
}

/** Assigns the task to a member of the same organization, or unassigns it with null. */
export async function assignTask(ctx: MutationCtx, tenant: Tenant, id: Id<"tasks">, assigneeId: Id<"users"> | null) {
  const task = await getTaskOrThrow(ctx.db, tenant, id);
  await getWritableProjectOrThrow(ctx.db, tenant, task.projectId);
  if ((task.assigneeId ?? null) === assigneeId) return;
  if (assigneeId === null) {
    await ctx.db.patch("tasks", id, { assigneeId: undefined, updatedAt: Date.now() });
    await recordActivity(ctx, tenant, {
      action: "task.unassigned",
      projectId: task.projectId,
      taskId: id,
      label: task.title,
    });
    return;
  }
  const assignee = await requireAssignableMember(ctx, tenant, assigneeId);
  await ctx.db.patch("tasks", id, { assigneeId, updatedAt: Date.now() });
  await recordActivity(ctx, tenant, {
    action: "task.assigned",
    projectId: task.projectId,
    taskId: id,
    label: task.title,
    to: assignee.name ?? assignee.email ?? "a member",
  });
}

export async function removeTask(ctx: MutationCtx, tenant: Tenant, id: Id<"tasks">) {
  const task = await getTaskOrThrow(ctx.db, tenant, id);
  await getWritableProjectOrThrow(ctx.db, tenant, task.projectId);
  await ctx.db.delete("tasks", id);
  await adjustTaskCounts(ctx, task, { [task.status]: -1 });
  await recordActivity(ctx, tenant, {
    action: "task.deleted",
    projectId: task.projectId,
    taskId: id,
    label: task.title,
  });
}
