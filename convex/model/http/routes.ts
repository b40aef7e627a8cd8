/**
 * The routes of the HTTP API: the one table the router answers from and the OpenAPI document is
 * built from. Each route calls the public query or mutation the web app uses, with the caller's
 * identity, so tenancy and permissions are decided there; request bodies are those functions'
 * argument validators without the ids the path carries.
 */
import type { PaginationResult } from "convex/server";
import { v } from "convex/values";
import { api } from "../../_generated/api";
import type { Id } from "../../_generated/dataModel";
import type { ActionCtx } from "../../_generated/server";
import { activityValidator } from "../activity";
import { currentOrgValidator } from "../organizations";
import { createProjectArgs, NAME_MAX, projectValidator, renameProjectArgs } from "../projects";
import {
  assignTaskArgs,
  createTaskArgs,
  DESCRIPTION_MAX,
  moveTaskArgs,
  taskValidator,
  type TaskView,
  TITLE_MAX,
  updateTaskArgs,
} from "../tasks";
import { projectStatusValidator, TASK_STATUSES, taskStatusValidator } from "../validators";
import { buildOpenApi } from "./openapi";
import {
  API_PREFIX,
  ApiError,
  decodeCursor,
  defineRoute,
  encodeCursor,
  type ListPosition,
  type Reply,
  type Route,
} from "./router";

/** GET /me: the caller, and their active organization with their effective role and permissions. */
export const meValidator = v.object({
  user: v.object({
    _id: v.id("users"),
    clerkId: v.string(),
    name: v.optional(v.string()),
    email: v.optional(v.string()),
    imageUrl: v.optional(v.string()),
  }),
  // Null when the token has no active organization.
  organization: v.union(currentOrgValidator.extend({ clerkId: v.string() }), v.null()),
});

const PROJECT = { name: "Project", validator: projectValidator };
const TASK = { name: "Task", validator: taskValidator };
const ACTIVITY = { name: "ActivityEntry", validator: activityValidator };
const ME = { name: "Me", validator: meValidator };

const ok = (body: unknown): Reply => ({ status: 200, body });
const created = (body: unknown, location: string): Reply => ({ status: 201, body, location });
const noContent: Reply = { status: 204 };

/** A page of a list as the API answers it. */
function listBody<T>(data: T[], next: string | null) {
  return { data, nextCursor: next };
}

/** The Convex cursor a caller's `cursor` stands for in `list`; null to start. */
function startOf(cursor: string | null, list: string): ListPosition {
  return cursor === null ? { convex: null } : decodeCursor(cursor, list);
}

function nextOf<T>(result: PaginationResult<T>, list: string): string | null {
  return result.isDone ? null : encodeCursor(list, { convex: result.continueCursor });
}

async function readProject(ctx: ActionCtx, id: Id<"projects">) {
  const project = await ctx.runQuery(api.projects.get, { id });
  if (project === null) throw new ApiError("NOT_FOUND", "Project not found. It may have been deleted.");
  return project;
}

async function readTask(ctx: ActionCtx, id: Id<"tasks">) {
  const task = await ctx.runQuery(api.tasks.get, { id });
  if (task === null) throw new ApiError("NOT_FOUND", "Task not found. It may have been deleted.");
  return task;
}

const projectId = { id: "projects" } as const;
const taskId = { id: "tasks" } as const;

const NAME_DOC = `The project's name: at most ${NAME_MAX} characters after trimming, not empty.`;
const TITLE_DOC = `At most ${TITLE_MAX} characters after trimming, not empty.`;
const DESCRIPTION_DOC = `At most ${DESCRIPTION_MAX} characters after trimming; an empty string clears it.`;

export const API_ROUTES: readonly Route[] = [
  defineRoute({
    method: "GET",
    path: "/me",
    operationId: "getMe",
    summary: "The caller and their active organization",
    description:
      "Call it once after sign-in and after switching organization: like `users.ensure` in the web app, it " +
      "records the user, organization and membership from the verified token when Clerk's webhook has not yet.",
    tag: "Me",
    success: { status: 200, description: "The caller's profile and organization.", schema: ME },
    handler: async ({ ctx }) => {
      const ensured = await ctx.runMutation(api.users.ensure, {});
      const [me, org] = await Promise.all([
        ctx.runQuery(api.users.me, {}),
        ensured.orgId === null ? null : ctx.runQuery(api.organizations.current, {}),
      ]);
      if (me.user === null) throw new Error("users.ensure left no user row");
      return ok({
        user: { ...me.user, clerkId: me.clerkId },
        organization: org === null || me.org.status !== "active" ? null : { ...org, clerkId: me.org.clerkId },
      });
    },
  }),

  defineRoute({
    method: "GET",
    path: "/projects",
    operationId: "listProjects",
    summary: "List projects",
    description: "The organization's projects, oldest first, with task counts by status.",
    tag: "Projects",
    query: v.object({ status: v.optional(projectStatusValidator) }),
    fieldDocs: { status: "`active` (default) or `archived`." },
    paginated: true,
    success: { status: 200, description: "A page of projects.", schema: PROJECT },
    handler: async ({ ctx, query, page }) => {
      const status = query.status ?? "active";
      const list = `projects:${status}`;
      const result = await ctx.runQuery(api.projects.list, {
        status,
        paginationOpts: { numItems: page.limit, cursor: startOf(page.cursor, list).convex },
      });
      return ok(listBody(result.page, nextOf(result, list)));
    },
  }),

  defineRoute({
    method: "POST",
    path: "/projects",
    operationId: "createProject",
    summary: "Create a project",
    tag: "Projects",
    permission: "org:projects:manage",
    body: v.object(createProjectArgs),
    bodyExample: { name: "Website relaunch" },
    fieldDocs: { name: NAME_DOC },
    success: { status: 201, description: "The new project; `Location` names it.", schema: PROJECT },
    handler: async ({ ctx, body }) => {
      const id = await ctx.runMutation(api.projects.create, body);
      return created(await readProject(ctx, id), `${API_PREFIX}/projects/${id}`);
    },
  }),

  defineRoute({
    method: "GET",
    path: "/projects/{id}",
    operationId: "getProject",
    summary: "Get a project",
    tag: "Projects",
    params: projectId,
    success: { status: 200, description: "The project.", schema: PROJECT },
    handler: async ({ ctx, params }) => ok(await readProject(ctx, params.id)),
  }),

  defineRoute({
    method: "PATCH",
    path: "/projects/{id}",
    operationId: "renameProject",
    summary: "Rename a project",
    tag: "Projects",
    permission: "org:projects:manage",
    params: projectId,
    body: v.object(renameProjectArgs).omit("id"),
    bodyExample: { name: "Website relaunch 2" },
    fieldDocs: { name: NAME_DOC },
    success: { status: 200, description: "The renamed project.", schema: PROJECT },
    handler: async ({ ctx, params, body }) => {
      await ctx.runMutation(api.projects.rename, { id: params.id, ...body });
      return ok(await readProject(ctx, params.id));
    },
  }),

  defineRoute({
    method: "DELETE",
    path: "/projects/{id}",
    operationId: "deleteProject",
    summary: "Delete a project",
    description: "The project is hidden at once; its tasks are deleted in the background.",
    tag: "Projects",
    permission: "org:projects:manage",
    params: projectId,
    success: { status: 204, description: "Deleted." },
    handler: async ({ ctx, params }) => {
      await ctx.runMutation(api.projects.remove, { id: params.id });
      return noContent;
    },
  }),

  defineRoute({
    method: "POST",
    path: "/projects/{id}/archive",
    operationId: "archiveProject",
    summary: "Archive a project",
    description: "Its tasks can be read but not changed until it is unarchived. Archiving twice is a no-op.",
    tag: "Projects",
    permission: "org:projects:manage",
    params: projectId,
    success: { status: 200, description: "The archived project.", schema: PROJECT },
    handler: async ({ ctx, params }) => {
      await ctx.runMutation(api.projects.archive, { id: params.id });
      return ok(await readProject(ctx, params.id));
    },
  }),

  defineRoute({
    method: "POST",
    path: "/projects/{id}/unarchive",
    operationId: "unarchiveProject",
    summary: "Unarchive a project",
    tag: "Projects",
    permission: "org:projects:manage",
    params: projectId,
    success: { status: 200, description: "The active project.", schema: PROJECT },
    handler: async ({ ctx, params }) => {
      await ctx.runMutation(api.projects.unarchive, { id: params.id });
      return ok(await readProject(ctx, params.id));
    },
  }),

  defineRoute({
    method: "GET",
    path: "/projects/{id}/tasks",
    operationId: "listProjectTasks",
    summary: "List a project's tasks",
    description:
      "In board order: by status (`todo`, `in_progress`, `done`), then by position within the status. " +
      "With `status`, only that column.",
    tag: "Tasks",
    params: projectId,
    query: v.object({ status: v.optional(taskStatusValidator) }),
    fieldDocs: { status: "Only tasks in this status." },
    paginated: true,
    success: { status: 200, description: "A page of tasks.", schema: TASK },
    handler: async ({ ctx, params, query, page }) => {
      const statuses = query.status === undefined ? TASK_STATUSES : [query.status];
      const list = `tasks:${params.id}:${query.status ?? "all"}`;
      const start = startOf(page.cursor, list);
      let index = start.at === undefined ? 0 : statuses.indexOf(start.at as (typeof statuses)[number]);
      if (index < 0) throw new ApiError("INVALID", "The cursor is not valid for this list. Start again without one.");
      let cursor = start.convex;
      const data: TaskView[] = [];
      let next: string | null = null;
      // One column after another until the page is full; each call is one bounded, paginated query.
      while (index < statuses.length) {
        const status = statuses[index]!;
        const result: PaginationResult<TaskView> = await ctx.runQuery(api.tasks.listByStatus, {
          projectId: params.id,
          status,
          paginationOpts: { numItems: page.limit - data.length, cursor },
        });
        data.push(...result.page);
        if (!result.isDone) {
          next = encodeCursor(list, { at: status, convex: result.continueCursor });
          break;
        }
        index += 1;
        cursor = null;
        if (data.length >= page.limit) {
          if (index < statuses.length) next = encodeCursor(list, { at: statuses[index]!, convex: null });
          break;
        }
      }
      return ok(listBody(data, next));
    },
  }),

  defineRoute({
    method: "POST",
    path: "/projects/{id}/tasks",
    operationId: "createTask",
    summary: "Create a task in a project",
    description: "The task goes to the end of its status column. The project must not be archived.",
    tag: "Tasks",
    permission: "org:tasks:write",
    conflicts: true,
    params: projectId,
    body: v.object(createTaskArgs).omit("projectId"),
    bodyExample: { title: "Write the launch announcement", description: "Two paragraphs.", status: "todo" },
    fieldDocs: {
      title: TITLE_DOC,
      description: DESCRIPTION_DOC,
      status: "Default `todo`.",
      assigneeId: "A member of the organization (a user id from `GET /me` or a task's `assignee`).",
    },
    success: { status: 201, description: "The new task; `Location` names it.", schema: TASK },
    handler: async ({ ctx, params, body }) => {
      const id = await ctx.runMutation(api.tasks.create, { projectId: params.id, ...body });
      return created(await readTask(ctx, id), `${API_PREFIX}/tasks/${id}`);
    },
  }),

  defineRoute({
    method: "GET",
    path: "/tasks/{id}",
    operationId: "getTask",
    summary: "Get a task",
    tag: "Tasks",
    params: taskId,
    success: { status: 200, description: "The task.", schema: TASK },
    handler: async ({ ctx, params }) => ok(await readTask(ctx, params.id)),
  }),

  defineRoute({
    method: "PATCH",
    path: "/tasks/{id}",
    operationId: "updateTask",
    summary: "Edit a task's title or description",
    description: "Send either field or both. To change the status use `move`; the assignee, `assign`.",
    tag: "Tasks",
    permission: "org:tasks:write",
    conflicts: true,
    params: taskId,
    body: v.object(updateTaskArgs).omit("id"),
    bodyExample: { title: "Write the launch post", description: "" },
    fieldDocs: { title: TITLE_DOC, description: DESCRIPTION_DOC },
    success: { status: 200, description: "The edited task.", schema: TASK },
    handler: async ({ ctx, params, body }) => {
      if (body.title === undefined && body.description === undefined) {
        throw new ApiError("INVALID", 'Send "title", "description" or both.');
      }
      await ctx.runMutation(api.tasks.update, { id: params.id, ...body });
      return ok(await readTask(ctx, params.id));
    },
  }),

  defineRoute({
    method: "DELETE",
    path: "/tasks/{id}",
    operationId: "deleteTask",
    summary: "Delete a task",
    tag: "Tasks",
    permission: "org:tasks:write",
    conflicts: true,
    params: taskId,
    success: { status: 204, description: "Deleted." },
    handler: async ({ ctx, params }) => {
      await ctx.runMutation(api.tasks.remove, { id: params.id });
      return noContent;
    },
  }),

  defineRoute({
    method: "POST",
    path: "/tasks/{id}/move",
    operationId: "moveTask",
    summary: "Move a task to a status and position",
    tag: "Tasks",
    permission: "org:tasks:write",
    conflicts: true,
    params: taskId,
    body: v.object(moveTaskArgs).omit("id"),
    bodyExample: { status: "in_progress" },
    fieldDocs: {
      status: "The column to move to.",
      beforeId: "Place it just before this task of the same project in that status; leave out to move it to the end.",
    },
    success: { status: 200, description: "The moved task.", schema: TASK },
    handler: async ({ ctx, params, body }) => {
      await ctx.runMutation(api.tasks.move, { id: params.id, ...body });
      return ok(await readTask(ctx, params.id));
    },
  }),

  defineRoute({
    method: "POST",
    path: "/tasks/{id}/assign",
    operationId: "assignTask",
    summary: "Assign or unassign a task",
    tag: "Tasks",
    permission: "org:tasks:write",
    conflicts: true,
    params: taskId,
    body: v.object(assignTaskArgs).omit("id"),
    bodyExample: { assigneeId: null },
    fieldDocs: { assigneeId: "A member of the organization, or null to unassign." },
    success: { status: 200, description: "The task with its new assignee.", schema: TASK },
    handler: async ({ ctx, params, body }) => {
      await ctx.runMutation(api.tasks.assign, { id: params.id, ...body });
      return ok(await readTask(ctx, params.id));
    },
  }),

  defineRoute({
    method: "GET",
    path: "/activity",
    operationId: "listActivity",
    summary: "The organization's activity feed",
    description: "Who changed what, newest first.",
    tag: "Activity",
    paginated: true,
    success: { status: 200, description: "A page of the feed.", schema: ACTIVITY },
    handler: async ({ ctx, page }) => {
      const list = "activity";
      const result = await ctx.runQuery(api.activity.list, {
        paginationOpts: { numItems: page.limit, cursor: startOf(page.cursor, list).convex },
      });
      return ok(listBody(result.page, nextOf(result, list)));
    },
  }),

  defineRoute({
    method: "GET",
    path: "/openapi.json",
    operationId: "getOpenApiDocument",
    summary: "This API's OpenAPI 3.1 document",
    tag: "Meta",
    public: true,
    success: { status: 200, description: "The OpenAPI document." },
    // A relative server URL: the document works from whichever host serves it.
    handler: async () => ok(buildOpenApi(API_ROUTES, API_PREFIX)),
  }),
];
