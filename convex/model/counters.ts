import type { Doc, Id } from "../_generated/dataModel";
import type { DatabaseReader, MutationCtx } from "../_generated/server";
import type { StatusCounts, TaskStatus } from "./validators";

const ZERO: StatusCounts = { todo: 0, in_progress: 0, done: 0 };

async function getTaskCounter(
  db: DatabaseReader,
  orgId: Id<"organizations">,
  projectId: Id<"projects"> | undefined,
): Promise<Doc<"taskCounters"> | null> {
  return await db
    .query("taskCounters")
    .withIndex("by_orgId_and_projectId", (q) => q.eq("orgId", orgId).eq("projectId", projectId))
    .unique();
}

/** Task counts by status for a project, or for the whole organization when `projectId` is omitted. */
export async function readTaskCounts(
  db: DatabaseReader,
  orgId: Id<"organizations">,
  projectId?: Id<"projects">,
): Promise<StatusCounts> {
  const row = await getTaskCounter(db, orgId, projectId);
  return row === null ? { ...ZERO } : { todo: row.todo, in_progress: row.in_progress, done: row.done };
}

async function addToTaskCounter(
  ctx: MutationCtx,
  orgId: Id<"organizations">,
  projectId: Id<"projects"> | undefined,
  delta: Partial<StatusCounts>,
) {
  const row = await getTaskCounter(ctx.db, orgId, projectId);
  const base = row ?? { ...ZERO };
  const next = {
    todo: base.todo + (delta.todo ?? 0),
    in_progress: base.in_progress + (delta.in_progress ?? 0),
    done: base.done + (delta.done ?? 0),
  };
  if (next.todo < 0 || next.in_progress < 0 || next.done < 0) {
    throw new Error(`Task counter for ${projectId ?? orgId} would go negative`);
  }
  if (row === null) {
    await ctx.db.insert("taskCounters", { orgId, ...(projectId && { projectId }), ...next });
  } else {
    await ctx.db.patch("taskCounters", row._id, next);
  }
}

/** Applies a change in task counts to the project's counter and the organization's. */
export async function adjustTaskCounts(
  ctx: MutationCtx,
  task: { orgId: Id<"organizations">; projectId: Id<"projects"> },
  delta: Partial<Record<TaskStatus, number>>,
  options: { organization?: boolean } = {},
): Promise<void> {
  await addToTaskCounter(ctx, task.orgId, task.projectId, delta);
  if (options.organization !== false) {
    await addToTaskCounter(ctx, task.orgId, undefined, delta);
  }
}

/** Subtracts a whole project's counts from the organization's (the project was hidden). */
export async function subtractProjectFromOrg(ctx: MutationCtx, orgId: Id<"organizations">, projectId: Id<"projects">) {
  const counts = await readTaskCounts(ctx.db, orgId, projectId);
  await addToTaskCounter(ctx, orgId, undefined, {
    todo: -counts.todo,
    in_progress: -counts.in_progress,
    done: -counts.done,
  });
}

export type OrgCounts = { members: number; projects: number };

export async function readOrgCounters(db: DatabaseReader, orgId: Id<"organizations">): Promise<OrgCounts> {
  const row = await db
    .query("orgCounters")
    .withIndex("by_orgId", (q) => q.eq("orgId", orgId))
    .unique();
  return { members: row?.members ?? 0, projects: row?.projects ?? 0 };
}

/** Adds to the organization's member and project counts. */
export async function adjustOrgCounters(
  ctx: MutationCtx,
  orgId: Id<"organizations">,
  delta: Partial<OrgCounts>,
): Promise<void> {
  const row = await ctx.db
    .query("orgCounters")
    .withIndex("by_orgId", (q) => q.eq("orgId", orgId))
    .unique();
  const next = {
    members: (row?.members ?? 0) + (delta.members ?? 0),
    projects: (row?.projects ?? 0) + (delta.projects ?? 0),
  };
  if (next.members < 0 || next.projects < 0) {
    throw new Error(`Organization counters for ${orgId} would go negative`);
  }
  if (row === null) {
    await ctx.db.insert("orgCounters", { orgId, ...next });
  } else {
    await ctx.db.patch("orgCounters", row._id, next);
  }
}

/** After a membership row is deleted outright: an active membership of a live organization no longer counts. */
export async function uncountDeletedMembership(ctx: MutationCtx, membership: Doc<"memberships">): Promise<void> {
  if (membership.deletedAt !== undefined) return;
  const org = await ctx.db.get("organizations", membership.orgId);
  // A deleted organization's counters are already gone with it.
  if (org === null || org.deletedAt !== undefined) return;
  await adjustOrgCounters(ctx, membership.orgId, { members: -1 });
}
