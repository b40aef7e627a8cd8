/**
 * The counters as they were before the sharded counter: one `taskCounters` document per
 * organization and per project, one `orgCounters` document per organization, each read and written
 * by every write that changes it. Only the contention benchmark loads this, in place of
 * convex/model/counters.ts in a copy of convex/, to record what a task write read and wrote then.
 * It offers the same functions as that module (bench/contention.ts checks the types); its imports
 * are types only, so it runs from wherever it is copied.
 */
import type { Doc, Id } from "../convex/_generated/dataModel";
import type { DatabaseReader, MutationCtx, QueryCtx } from "../convex/_generated/server";
import type { StatusCounts, TaskStatus } from "../convex/model/validators";

export type CountReader = Pick<QueryCtx, "db" | "runQuery">;
export type OrgCounts = { members: number; projects: number };

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

export async function readTaskCounts(
  ctx: CountReader,
  orgId: Id<"organizations">,
  projectId?: Id<"projects">,
): Promise<StatusCounts> {
  const row = await getTaskCounter(ctx.db, orgId, projectId);
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

export async function adjustTaskCounts(
  ctx: MutationCtx,
  task: { orgId: Id<"organizations">; projectId: Id<"projects"> },
  delta: Partial<Record<TaskStatus, number>>,
): Promise<void> {
  await addToTaskCounter(ctx, task.orgId, task.projectId, delta);
  await addToTaskCounter(ctx, task.orgId, undefined, delta);
}

export async function subtractProjectFromOrg(
  ctx: MutationCtx,
  orgId: Id<"organizations">,
  projectId: Id<"projects">,
): Promise<void> {
  const counts = await readTaskCounts(ctx, orgId, projectId);
  await addToTaskCounter(ctx, orgId, undefined, {
    todo: -counts.todo,
    in_progress: -counts.in_progress,
    done: -counts.done,
  });
}

export async function readOrgCounters(ctx: CountReader, orgId: Id<"organizations">): Promise<OrgCounts> {
  const row = await ctx.db
    .query("orgCounters")
    .withIndex("by_orgId", (q) => q.eq("orgId", orgId))
    .unique();
  return { members: row?.members ?? 0, projects: row?.projects ?? 0 };
}

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

export async function uncountDeletedMembership(ctx: MutationCtx, membership: Doc<"memberships">): Promise<void> {
  if (membership.deletedAt !== undefined) return;
  const org = await ctx.db.get("organizations", membership.orgId);
  if (org === null || org.deletedAt !== undefined) return;
  await adjustOrgCounters(ctx, membership.orgId, { members: -1 });
}

/** The project's counter document goes with it through the table registry's references. */
export async function forgetProjectCounts(_ctx: MutationCtx, _project: Doc<"projects">): Promise<void> {}

/** The organization's counter documents go with its other rows. */
export async function forgetOrganizationCounts(_ctx: MutationCtx, _orgId: Id<"organizations">): Promise<void> {}

/** These documents are where the counts live: there is nothing to migrate. */
export async function migrateRetiredTaskCounter(_ctx: MutationCtx, _row: Doc<"taskCounters">): Promise<void> {
  throw new Error("The single-document counters have nothing to migrate");
}

export async function migrateRetiredOrgCounter(_ctx: MutationCtx, _row: Doc<"orgCounters">): Promise<void> {
  throw new Error("The single-document counters have nothing to migrate");
}
