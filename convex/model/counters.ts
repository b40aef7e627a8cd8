/**
 * The counts the dashboard, the project lists and the usage page show, kept on every write in
 * Convex's sharded counter component (`components.shardedCounter`) instead of one document per
 * organization, which every task write of a busy organization would otherwise read and write.
 *
 * Every key starts with the organization's id, so no key is shared across tenants:
 * - `<orgId>:tasks:<status>`: the organization's tasks in a status, over ORG_TASK_SHARDS shards;
 * - `<orgId>:<projectId>:tasks:<status>`: one project's, in one shard (lists read three per project);
 * - `<orgId>:members`, `<orgId>:projects`: in one shard (they change rarely).
 *
 * Until `npx convex run migrations:runAll` has run on a deployment, counts written before the
 * counter existed are still in the retired `taskCounters` and `orgCounters` rows. A count is the
 * counter's value plus that row's; the migration adds a row to the counter and deletes it in one
 * transaction, so the sum is right before, during and after it.
 */
import { ShardedCounter } from "@convex-dev/sharded-counter";
import { components } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { DatabaseReader, MutationCtx, QueryCtx } from "../_generated/server";
import { TASK_STATUSES, type StatusCounts, type TaskStatus } from "./validators";

/** Shards of each organization-wide task count: every task write in the organization adds to one. */
export const ORG_TASK_SHARDS = 16;

/** What reading a count needs: the database (the retired rows) and the component's query. */
export type CountReader = Pick<QueryCtx, "db" | "runQuery">;
type CountWriter = Pick<MutationCtx, "db" | "runQuery" | "runMutation">;

type OrgId = Id<"organizations">;
type ProjectId = Id<"projects">;

function taskKey(orgId: OrgId, projectId: ProjectId | undefined, status: TaskStatus): string {
  return projectId === undefined ? `${orgId}:tasks:${status}` : `${orgId}:${projectId}:tasks:${status}`;
}
const membersKey = (orgId: OrgId) => `${orgId}:members`;
const projectsKey = (orgId: OrgId) => `${orgId}:projects`;

const reader = new ShardedCounter<string>(components.shardedCounter);

/**
 * A counter client for one write. The client remembers the shard it last used for each key for as
 * long as it lives, and a module may stay loaded across mutations: a long-lived client would send
 * all of them to one shard.
 */
function writer(shards: number) {
  return new ShardedCounter<string>(components.shardedCounter, { defaultShards: shards });
}

async function addToTasks(
  ctx: CountWriter,
  orgId: OrgId,
  projectId: ProjectId | undefined,
  delta: Partial<StatusCounts>,
): Promise<void> {
  const counter = writer(projectId === undefined ? ORG_TASK_SHARDS : 1);
  for (const status of TASK_STATUSES) {
    const change = delta[status] ?? 0;
    if (change !== 0) await counter.add(ctx, taskKey(orgId, projectId, status), change);
  }
}

/** The retired single-document counter of a project, or of the organization when `projectId` is omitted. */
async function getRetiredTaskCounter(
  db: DatabaseReader,
  orgId: OrgId,
  projectId: ProjectId | undefined,
): Promise<Doc<"taskCounters"> | null> {
  return await db
    .query("taskCounters")
    .withIndex("by_orgId_and_projectId", (q) => q.eq("orgId", orgId).eq("projectId", projectId))
    .unique();
}

async function getRetiredOrgCounter(db: DatabaseReader, orgId: OrgId): Promise<Doc<"orgCounters"> | null> {
  return await db
    .query("orgCounters")
    .withIndex("by_orgId", (q) => q.eq("orgId", orgId))
    .unique();
}

/** Task counts by status for a project, or for the whole organization when `projectId` is omitted. */
export async function readTaskCounts(ctx: CountReader, orgId: OrgId, projectId?: ProjectId): Promise<StatusCounts> {
  const [retired, todo, in_progress, done] = await Promise.all([
    getRetiredTaskCounter(ctx.db, orgId, projectId),
    reader.count(ctx, taskKey(orgId, projectId, "todo")),
    reader.count(ctx, taskKey(orgId, projectId, "in_progress")),
    reader.count(ctx, taskKey(orgId, projectId, "done")),
  ]);
  // Shards hold floats: a sum of whole numbers can come back a hair off one.
  return {
    todo: Math.round(todo + (retired?.todo ?? 0)),
    in_progress: Math.round(in_progress + (retired?.in_progress ?? 0)),
    done: Math.round(done + (retired?.done ?? 0)),
  };
}

/** Applies a change in task counts to the project's counts and the organization's. */
export async function adjustTaskCounts(
  ctx: MutationCtx,
  task: { orgId: OrgId; projectId: ProjectId },
  delta: Partial<Record<TaskStatus, number>>,
): Promise<void> {
  await addToTasks(ctx, task.orgId, task.projectId, delta);
  await addToTasks(ctx, task.orgId, undefined, delta);
}

/** Subtracts a whole project's counts from the organization's (the project was hidden). */
export async function subtractProjectFromOrg(ctx: MutationCtx, orgId: OrgId, projectId: ProjectId): Promise<void> {
  const counts = await readTaskCounts(ctx, orgId, projectId);
  await addToTasks(ctx, orgId, undefined, { todo: -counts.todo, in_progress: -counts.in_progress, done: -counts.done });
}

export type OrgCounts = { members: number; projects: number };

export async function readOrgCounters(ctx: CountReader, orgId: OrgId): Promise<OrgCounts> {
  const [retired, members, projects] = await Promise.all([
    getRetiredOrgCounter(ctx.db, orgId),
    reader.count(ctx, membersKey(orgId)),
    reader.count(ctx, projectsKey(orgId)),
  ]);
  return {
    members: Math.round(members + (retired?.members ?? 0)),
    projects: Math.round(projects + (retired?.projects ?? 0)),
  };
}

/** Adds to the organization's member and project counts. */
export async function adjustOrgCounters(ctx: MutationCtx, orgId: OrgId, delta: Partial<OrgCounts>): Promise<void> {
  const counter = writer(1);
  if (delta.members) await counter.add(ctx, membersKey(orgId), delta.members);
  if (delta.projects) await counter.add(ctx, projectsKey(orgId), delta.projects);
}

/** After a membership row is deleted outright: an active membership of a live organization no longer counts. */
export async function uncountDeletedMembership(ctx: MutationCtx, membership: Doc<"memberships">): Promise<void> {
  if (membership.deletedAt !== undefined) return;
  const org = await ctx.db.get("organizations", membership.orgId);
  // A deleted organization's counts are cleared with it.
  if (org === null || org.deletedAt !== undefined) return;
  await adjustOrgCounters(ctx, membership.orgId, { members: -1 });
}

/** After a project row is deleted: its counts go with it (the organization's no longer include them). */
export async function forgetProjectCounts(ctx: MutationCtx, project: Doc<"projects">): Promise<void> {
  for (const status of TASK_STATUSES) await reader.reset(ctx, taskKey(project.orgId, project._id, status));
}

/** Once a deleted organization's rows are gone: its counts go too. */
export async function forgetOrganizationCounts(ctx: MutationCtx, orgId: OrgId): Promise<void> {
  for (const status of TASK_STATUSES) await reader.reset(ctx, taskKey(orgId, undefined, status));
  await reader.reset(ctx, membersKey(orgId));
  await reader.reset(ctx, projectsKey(orgId));
}

/** Whether counts of this organization (and project) are still shown: not once it is deleted. */
async function stillCounted(ctx: MutationCtx, orgId: OrgId, projectId?: ProjectId): Promise<boolean> {
  const org = await ctx.db.get("organizations", orgId);
  if (org === null || org.deletedAt !== undefined) return false;
  return projectId === undefined || (await ctx.db.get("projects", projectId)) !== null;
}

/**
 * Moves a retired `taskCounters` row into the sharded counter: adds its counts and deletes it in
 * the same transaction, so a row is moved once or not at all, and running again finds nothing.
 */
export async function migrateRetiredTaskCounter(ctx: MutationCtx, row: Doc<"taskCounters">): Promise<void> {
  await ctx.db.delete("taskCounters", row._id);
  if (!(await stillCounted(ctx, row.orgId, row.projectId))) return;
  await addToTasks(ctx, row.orgId, row.projectId, { todo: row.todo, in_progress: row.in_progress, done: row.done });
}

/** Moves a retired `orgCounters` row into the sharded counter, as migrateRetiredTaskCounter does. */
export async function migrateRetiredOrgCounter(ctx: MutationCtx, row: Doc<"orgCounters">): Promise<void> {
  await ctx.db.delete("orgCounters", row._id);
  if (!(await stillCounted(ctx, row.orgId))) return;
  await adjustOrgCounters(ctx, row.orgId, { members: row.members, projects: row.projects });
}
