import type { PaginationOptions, PaginationResult } from "convex/server";
import { v, type Infer } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import type { DatabaseReader, MutationCtx } from "../_generated/server";
import { recordActivity } from "./activity";
import type { Tenant } from "./auth/tenant";
import { adjustOrgCounters, readTaskCounts, subtractProjectFromOrg, type CountReader } from "./counters";
import { startDeletion } from "./deletions";
import { appError } from "./errors";
import { boundedPage, mapPage } from "./pagination";
import { cleanText } from "./text";
import { deletionProgressValidator, projectStatusValidator, statusCountsValidator } from "./validators";

/** A project as clients see it. */
export const projectValidator = v.object({
  _id: v.id("projects"),
  _creationTime: v.number(),
  name: v.string(),
  status: projectStatusValidator,
  updatedAt: v.number(),
  counts: statusCountsValidator,
  // Only in lists, while the project is being deleted: tasks deleted so far of those it had.
  deleting: v.optional(deletionProgressValidator),
});
export type ProjectView = Infer<typeof projectValidator>;

/** The longest project name, in characters after trimming. */
export const NAME_MAX = 100;

/** Arguments of the project mutations; the HTTP API derives its request bodies from them. */
export const createProjectArgs = { name: v.string() };
export const renameProjectArgs = { id: v.id("projects"), name: v.string() };

async function toView(ctx: CountReader, project: Doc<"projects">): Promise<ProjectView> {
  return {
    _id: project._id,
    _creationTime: project._creationTime,
    name: project.name,
    status: project.status,
    updatedAt: project.updatedAt,
    counts: await readTaskCounts(ctx, project.orgId, project._id),
    ...(project.deleting !== undefined && { deleting: project.deleting }),
  };
}

/**
 * Returns the project if it belongs to the tenant's organization and is not being deleted (one
 * being deleted is gone for every purpose but its list's progress).
 */
export async function getProject(
  db: DatabaseReader,
  tenant: Tenant,
  id: Id<"projects">,
): Promise<Doc<"projects"> | null> {
  const project = await db.get("projects", id);
  if (project === null || project.orgId !== tenant.org._id || project.deleting !== undefined) return null;
  return project;
}

/** Like getProject, but throws NOT_FOUND (the same answer for another organization's id). */
export async function getProjectOrThrow(db: DatabaseReader, tenant: Tenant, id: Id<"projects">) {
  const project = await getProject(db, tenant, id);
  if (project === null) throw appError("NOT_FOUND", "Project not found. It may have been deleted.");
  return project;
}

/** A project whose tasks may change: not archived. */
export async function getWritableProjectOrThrow(db: DatabaseReader, tenant: Tenant, id: Id<"projects">) {
  const project = await getProjectOrThrow(db, tenant, id);
  if (project.status === "archived") {
    throw appError("CONFLICT", `Project "${project.name}" is archived. Unarchive it to change its tasks.`);
  }
  return project;
}

export async function getProjectView(ctx: CountReader, tenant: Tenant, id: Id<"projects">) {
  const project = await getProject(ctx.db, tenant, id);
  return project === null ? null : await toView(ctx, project);
}

/**
 * One page of the organization's active (or archived) projects, oldest first, with task counts;
 * projects being deleted stay in place with their progress until their row goes.
 */
export async function listProjects(
  ctx: CountReader,
  tenant: Tenant,
  status: "active" | "archived",
  paginationOpts: PaginationOptions,
): Promise<PaginationResult<ProjectView>> {
  const result = await boundedPage(ctx.db, paginationOpts, {
    table: "projects",
    keyFields: ["_creationTime", "_id"],
    order: "asc",
    query: (bounds) =>
      ctx.db
        .query("projects")
        .withIndex("by_orgId_and_status", (q) => bounds(q.eq("orgId", tenant.org._id).eq("status", status))),
  });
  return await mapPage(result, (project) => toView(ctx, project));
}

export async function createProject(ctx: MutationCtx, tenant: Tenant, rawName: string): Promise<Id<"projects">> {
  const name = cleanText(rawName, "Project name", { max: NAME_MAX });
  const id = await ctx.db.insert("projects", {
    orgId: tenant.org._id,
    name,
    status: "active",
    createdBy: tenant.user._id,
    updatedAt: Date.now(),
  });
  await adjustOrgCounters(ctx, tenant.org._id, { projects: 1 });
  await recordActivity(ctx, tenant, { action: "project.created", projectId: id, label: name });
  return id;
}

export async function renameProject(ctx: MutationCtx, tenant: Tenant, id: Id<"projects">, rawName: string) {
  const project = await getProjectOrThrow(ctx.db, tenant, id);
  const name = cleanText(rawName, "Project name", { max: NAME_MAX });
  if (name === project.name) return;
  await ctx.db.patch("projects", id, { name, updatedAt: Date.now() });
  await recordActivity(ctx, tenant, {
    action: "project.renamed",
    projectId: id,
    label: name,
    from: project.name,
    to: name,
  });
}

export async function setProjectArchived(ctx: MutationCtx, tenant: Tenant, id: Id<"projects">, archived: boolean) {
  const project = await getProjectOrThrow(ctx.db, tenant, id);
  const status = archived ? "archived" : "active";
  if (project.status === status) return;
  await ctx.db.patch("projects", id, { status, updatedAt: Date.now() });
  await recordActivity(ctx, tenant, {
    action: archived ? "project.archived" : "project.unarchived",
    projectId: id,
    label: project.name,
  });
}

/**
 * Hides the project at once (task access, counts, every change; its list shows it as being
 * deleted) and hands the removal of its tasks to the work pool in bounded batches, so a project of
 * any size deletes within per-transaction limits.
 */
export async function removeProject(ctx: MutationCtx, tenant: Tenant, id: Id<"projects">) {
  const project = await getProjectOrThrow(ctx.db, tenant, id);
  const counts = await readTaskCounts(ctx, project.orgId, id);
  await ctx.db.patch("projects", id, { deleting: { done: 0, total: counts.todo + counts.in_progress + counts.done } });
  await subtractProjectFromOrg(ctx, project.orgId, id);
  await adjustOrgCounters(ctx, project.orgId, { projects: -1 });
  await recordActivity(ctx, tenant, { action: "project.deleted", projectId: id, label: project.name });
  await startDeletion(ctx, { kind: "project", orgId: project.orgId, projectId: id });
}
