import type { PaginationOptions, PaginationResult } from "convex/server";
import { v, type Infer } from "convex/values";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { DatabaseReader, MutationCtx } from "../_generated/server";
import { recordActivity } from "./activity";
import type { Tenant } from "./auth/tenant";
import { cascadeProjectStep } from "./cascades";
import { adjustOrgCounters, readTaskCounts, subtractProjectFromOrg } from "./counters";
import { appError } from "./errors";
import { boundedPage, mapPage } from "./pagination";
import { cleanText } from "./text";
import { statusCountsValidator, VISIBLE_PROJECT_STATUSES } from "./validators";

/** The statuses clients see and list by (`deleting` projects are hidden). */
export const visibleProjectStatusValidator = v.union(...VISIBLE_PROJECT_STATUSES.map((status) => v.literal(status)));

/** A project as clients see it. */
export const projectValidator = v.object({
  _id: v.id("projects"),
  _creationTime: v.number(),
  name: v.string(),
  status: visibleProjectStatusValidator,
  updatedAt: v.number(),
  counts: statusCountsValidator,
});
export type ProjectView = Infer<typeof projectValidator>;

/** The longest project name, in characters after trimming. */
export const NAME_MAX = 100;

/** Arguments of the project mutations; the HTTP API derives its request bodies from them. */
export const createProjectArgs = { name: v.string() };
export const renameProjectArgs = { id: v.id("projects"), name: v.string() };

async function toView(db: DatabaseReader, project: Doc<"projects">): Promise<ProjectView | null> {
  if (project.status === "deleting") return null;
  return {
    _id: project._id,
    _creationTime: project._creationTime,
    name: project.name,
    status: project.status,
    updatedAt: project.updatedAt,
    counts: await readTaskCounts(db, project.orgId, project._id),
  };
}

/** Returns the project if it belongs to the tenant's organization and is not being deleted. */
export async function getProject(
  db: DatabaseReader,
  tenant: Tenant,
  id: Id<"projects">,
): Promise<Doc<"projects"> | null> {
  const project = await db.get("projects", id);
  if (project === null || project.orgId !== tenant.org._id || project.status === "deleting") return null;
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

export async function getProjectView(db: DatabaseReader, tenant: Tenant, id: Id<"projects">) {
  const project = await getProject(db, tenant, id);
  return project === null ? null : await toView(db, project);
}

/** One page of the organization's active (or archived) projects, oldest first, with task counts. */
export async function listProjects(
  db: DatabaseReader,
  tenant: Tenant,
  status: "active" | "archived",
  paginationOpts: PaginationOptions,
): Promise<PaginationResult<ProjectView>> {
  const result = await boundedPage(db, paginationOpts, {
    table: "projects",
    keyFields: ["_creationTime", "_id"],
    order: "asc",
    query: (bounds) =>
      db
        .query("projects")
        .withIndex("by_orgId_and_status", (q) => bounds(q.eq("orgId", tenant.org._id).eq("status", status))),
  });
  return await mapPage(result, (project) => toView(db, project));
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
 * Hides the project at once (lists, counts, task access) and schedules the removal of its tasks
 * in bounded batches, so a project of any size deletes within per-transaction limits.
 */
export async function removeProject(ctx: MutationCtx, tenant: Tenant, id: Id<"projects">) {
  const project = await getProjectOrThrow(ctx.db, tenant, id);
  await ctx.db.patch("projects", id, { status: "deleting", updatedAt: Date.now() });
  await subtractProjectFromOrg(ctx, project.orgId, id);
  await adjustOrgCounters(ctx, project.orgId, { projects: -1 });
  await recordActivity(ctx, tenant, { action: "project.deleted", projectId: id, label: project.name });
  await ctx.scheduler.runAfter(0, internal.projects.deleteBatch, { projectId: id });
}

/**
 * Deletes a batch of what hangs off a project being deleted (its tasks, its counter: see
 * tables.ts), then schedules itself again; the last batch removes the project. Safe to run twice.
 */
export async function deleteProjectBatch(ctx: MutationCtx, projectId: Id<"projects">): Promise<"more" | "done"> {
  const project = await ctx.db.get("projects", projectId);
  if (project === null) return "done";
  if (project.status !== "deleting") throw new Error(`Project ${projectId} is not being deleted`);
  const step = await cascadeProjectStep(ctx, project);
  if (step === "more") await ctx.scheduler.runAfter(0, internal.projects.deleteBatch, { projectId });
  return step;
}
