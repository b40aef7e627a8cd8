/**
 * Seeds many organizations' worth of rows straight into the tables (as the webhook and the
 * functions would leave them), for the bounded-read test and the benchmark.
 */
import type { Id } from "../../convex/_generated/dataModel";
import { adjustOrgCounters } from "../../convex/model/counters";
import { TASK_STATUSES, type TaskStatus } from "../../convex/model/validators";
import { requireRowsInEveryTenantTable, seedOrg, type SeededOrg } from "./fixtures";
import type { Backend } from "./setup";

const TARGET_EXTRA_PROJECTS = 40;
/** Rows per seeding transaction: well under Convex's 16,000 documents written. */
const BATCH = 8_000;

type BulkOrg = { orgId: Id<"organizations">; userId: Id<"users">; projectIds: Id<"projects">[] };

async function insertOrgs(t: Backend, count: number, prefix: string): Promise<BulkOrg[]> {
  return await t.run(async (ctx) => {
    const orgs: BulkOrg[] = [];
    for (let i = 0; i < count; i++) {
      const orgId = await ctx.db.insert("organizations", { clerkId: `org_${prefix}${i}`, name: `Org ${prefix}${i}` });
      const userId = await ctx.db.insert("users", { clerkId: `user_${prefix}${i}`, name: `User ${prefix}${i}` });
      await ctx.db.insert("memberships", { orgId, userId, role: "org:admin", source: "webhook" });
      await ctx.db.insert("orgCounters", { orgId, members: 1, projects: 2 });
      const projectIds: Id<"projects">[] = [];
      for (let p = 0; p < 2; p++) {
        projectIds.push(
          await ctx.db.insert("projects", { orgId, name: `P${p}`, status: "active", createdBy: userId, updatedAt: 0 }),
        );
      }
      orgs.push({ orgId, userId, projectIds });
    }
    return orgs;
  });
}

/**
 * Inserts `count` tasks (and one activity entry each) spread over the organizations' projects.
 * They are counted in the retired single-document counters, as a deployment holds them until
 * `migrations:runAll` has run (reads add them to the sharded counter's). `fresh`: the organizations
 * have no such counters yet.
 */
async function insertTasks(t: Backend, orgs: BulkOrg[], count: number, options: { fresh: boolean }) {
  const counts = new Map<string, Record<TaskStatus, number>>();
  const bump = (key: string, status: TaskStatus) => {
    const row = counts.get(key) ?? { todo: 0, in_progress: 0, done: 0 };
    row[status] += 1;
    counts.set(key, row);
  };
  for (let start = 0; start < count; start += BATCH / 2) {
    const end = Math.min(count, start + BATCH / 2);
    await t.run(async (ctx) => {
      for (let i = start; i < end; i++) {
        const org = orgs[i % orgs.length]!;
        const projectId = org.projectIds[Math.floor(i / orgs.length) % org.projectIds.length]!;
        const status = TASK_STATUSES[i % TASK_STATUSES.length]!;
        const taskId = await ctx.db.insert("tasks", {
          orgId: org.orgId,
          projectId,
          title: `Task ${i}`,
          status,
          position: i,
          assigneeId: org.userId,
          createdBy: org.userId,
          updatedAt: 0,
        });
        await ctx.db.insert("activity", {
          orgId: org.orgId,
          actorId: org.userId,
          action: "task.created",
          projectId,
          taskId,
          label: `Task ${i}`,
        });
        bump(`${org.orgId}|${projectId}`, status);
        bump(`${org.orgId}|`, status);
      }
    });
  }
  const entries = [...counts.entries()];
  for (let start = 0; start < entries.length; start += BATCH) {
    await t.run(async (ctx) => {
      for (const [key, delta] of entries.slice(start, start + BATCH)) {
        const [orgId, projectId] = key.split("|") as [Id<"organizations">, Id<"projects"> | ""];
        // convex-test scans for every query, so look up only counters that may already exist.
        const existing = options.fresh
          ? null
          : await ctx.db
              .query("taskCounters")
              .withIndex("by_orgId_and_projectId", (q) =>
                q.eq("orgId", orgId).eq("projectId", projectId === "" ? undefined : projectId),
              )
              .unique();
        if (existing === null) {
          await ctx.db.insert("taskCounters", { orgId, ...(projectId !== "" && { projectId }), ...delta });
        } else {
          await ctx.db.patch("taskCounters", existing._id, {
            todo: existing.todo + delta.todo,
            in_progress: existing.in_progress + delta.in_progress,
            done: existing.done + delta.done,
          });
        }
      }
    });
  }
}

export type BulkWorld = { target: SeededOrg; totalTasks: number; organizations: number };

/**
 * `totalTasks` tasks across `organizations` organizations. The target organization (seeded through
 * the functions, so it has members of every role) holds `targetTasks` of them; the rest are spread
 * over the others.
 */
export async function seedBulk(
  t: Backend,
  options: { totalTasks: number; organizations: number; targetTasks: number },
): Promise<BulkWorld> {
  const target = await seedOrg(t, "T");
  const seeded = target.taskIds.length + 1;
  const targetOrg: BulkOrg = { orgId: target.orgId, userId: target.users.admin, projectIds: [target.projectId] };
  // Enough projects that the caller's project list fills a page too.
  await t.run(async (ctx) => {
    for (let p = 0; p < TARGET_EXTRA_PROJECTS; p++) {
      await ctx.db.insert("projects", {
        orgId: target.orgId,
        name: `Project ${p}`,
        status: "active",
        createdBy: target.users.admin,
        updatedAt: 0,
      });
    }
    await adjustOrgCounters(ctx, target.orgId, { projects: TARGET_EXTRA_PROJECTS });
  });
  const targetExtra = Math.max(0, options.targetTasks - seeded);
  await insertTasks(t, [targetOrg], targetExtra, { fresh: false });
  const others = await insertOrgs(t, options.organizations - 1, "bulk");
  const otherTasks = options.totalTasks - seeded - targetExtra;
  await insertTasks(t, others, otherTasks, { fresh: true });
  // Other organizations' rows are written here by hand: when they get data, a new tenant table needs rows too.
  if (otherTasks > 0 && others[0] !== undefined) await requireRowsInEveryTenantTable(t, others[0].orgId, "seedBulk");
  return { target, totalTasks: seeded + targetExtra + otherTasks, organizations: options.organizations };
}
