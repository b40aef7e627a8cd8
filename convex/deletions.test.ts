import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { seedWorld, snapshotOrg, type SeededOrg } from "../tests/convex/fixtures";
import { type Backend, newBackend } from "../tests/convex/setup";
import { deletedEvent, delivery, post } from "../tests/convex/webhooks";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { CASCADE_BATCH_SIZE } from "./model/cascades";
import { adjustTaskCounts, readOrgCounters } from "./model/counters";
import { TABLES, TENANT_TABLES, takeByIndex } from "./model/tables";
import { backoffMs, MAX_ATTEMPTS, startDeletion, USER_ORGS_PER_BATCH } from "./model/deletions";

const page = { paginationOpts: { numItems: 10, cursor: null } };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Adds `count` to-do tasks to a project, counted as the task functions count them. */
async function addTasks(t: Backend, org: SeededOrg, projectId: Id<"projects">, count: number) {
  for (let start = 0; start < count; start += 5_000) {
    const end = Math.min(count, start + 5_000);
    await t.run(async (ctx) => {
      for (let i = start; i < end; i++) {
        await ctx.db.insert("tasks", {
          orgId: org.orgId,
          projectId,
          title: `Bulk ${i}`,
          status: "todo",
          position: 100 + i,
          createdBy: org.users.admin,
          updatedAt: 0,
        });
      }
      await adjustTaskCounts(ctx, { orgId: org.orgId, projectId }, { todo: end - start });
    });
  }
}

/** The work the app scheduled itself, outside the pool's component. */
async function appScheduledFunctions(t: Backend) {
  return await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
}

/**
 * Runs the scheduled functions (the pool's loop and the batches it starts) one round at a time,
 * calling `observe` after each round as a subscriber's query would be re-run, until `observe`
 * answers true.
 */
async function runUntil(t: Backend, observe: () => Promise<boolean>, maxRounds = 1_000) {
  for (let round = 0; round < maxRounds; round++) {
    vi.runAllTimers();
    await t.finishInProgressScheduledFunctions();
    if (await observe()) return round + 1;
  }
  throw new Error(`not finished after ${maxRounds} rounds of scheduled functions`);
}

describe("a project deletion on the work pool", () => {
  it("deletes 10,000 tasks in bounded batches, its progress visible in the list until the project goes", async () => {
    // Convex's per-transaction limits, and a read budget of two batches, for every function that runs.
    const t = newBackend({ documentsRead: 2 * CASCADE_BATCH_SIZE + 64 });
    const { a, b } = await seedWorld(t);
    await addTasks(t, a, a.projectId, 10_000);
    const total = 10_003; // and the three the seed wrote
    const bBefore = {
      counts: await b.as.viewer.query(api.dashboard.counts, {}),
      projects: await b.as.viewer.query(api.projects.list, page),
    };

    await a.as.admin.mutation(api.projects.remove, { id: a.projectId });
    const listed = async () =>
      (await a.as.viewer.query(api.projects.list, page)).page.find((project) => project._id === a.projectId);
    expect(await listed()).toMatchObject({ name: "Roadmap A", deleting: { done: 0, total } });
    // Gone for every other purpose at once.
    expect(await a.as.viewer.query(api.projects.get, { id: a.projectId })).toBeNull();
    expect((await a.as.viewer.query(api.dashboard.counts, {})).projects).toBe(1);
    await expect(a.as.admin.mutation(api.projects.rename, { id: a.projectId, name: "Again" })).rejects.toMatchObject({
      data: { code: "NOT_FOUND" },
    });

    const seen: number[] = [];
    await runUntil(t, async () => {
      const project = await listed();
      if (project === undefined) return true;
      expect(project.deleting?.total).toBe(total);
      if (seen.at(-1) !== project.deleting!.done) seen.push(project.deleting!.done);
      return false;
    });

    // Every batch deletes at most CASCADE_BATCH_SIZE tasks, and the list saw them go batch by batch.
    expect(seen[0]).toBe(0);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]! - seen[i - 1]!).toBeGreaterThan(0);
      expect(seen[i]! - seen[i - 1]!).toBeLessThanOrEqual(CASCADE_BATCH_SIZE);
    }
    expect(seen.length).toBeGreaterThanOrEqual(total / CASCADE_BATCH_SIZE / 2);
    expect(total - seen.at(-1)!).toBeLessThanOrEqual(CASCADE_BATCH_SIZE);

    const left = await t.run(async (ctx) => ({
      project: await ctx.db.get("projects", a.projectId),
      tasks: await ctx.db
        .query("tasks")
        .withIndex("by_orgId_and_projectId_and_status_and_position", (q) =>
          q.eq("orgId", a.orgId).eq("projectId", a.projectId),
        )
        .take(1),
      counter: await ctx.db
        .query("taskCounters")
        .withIndex("by_orgId_and_projectId", (q) => q.eq("orgId", a.orgId).eq("projectId", a.projectId))
        .first(),
    }));
    expect(left).toEqual({ project: null, tasks: [], counter: null });
    // The batches ran on the pool: the app scheduled nothing itself.
    expect(await appScheduledFunctions(t)).toEqual([]);
    // Another organization's projects and counts are untouched; this one's other project and counts are intact.
    expect({
      counts: await b.as.viewer.query(api.dashboard.counts, {}),
      projects: await b.as.viewer.query(api.projects.list, page),
    }).toEqual(bBefore);
    expect(await a.as.viewer.query(api.dashboard.counts, {})).toEqual({
      tasks: { todo: 1, in_progress: 0, done: 0 },
      projects: 1,
    });
  }, 60_000);

  it("runs several deletions side by side, each to the end", async () => {
    const t = newBackend();
    const { a } = await seedWorld(t);
    const ids: Id<"projects">[] = [];
    for (let i = 0; i < 6; i++) {
      const id = await a.as.admin.mutation(api.projects.create, { name: `Doomed ${i}` });
      await addTasks(t, a, id, CASCADE_BATCH_SIZE + 50 * i);
      ids.push(id);
    }
    for (const id of ids) await a.as.admin.mutation(api.projects.remove, { id });
    const deleting = (await a.as.viewer.query(api.projects.list, page)).page.filter((p) => p.deleting !== undefined);
    expect(deleting.map((p) => p.deleting)).toEqual(
      ids.map((_, i) => ({ done: 0, total: CASCADE_BATCH_SIZE + 50 * i })),
    );

    await runUntil(t, async () => (await a.as.viewer.query(api.projects.list, page)).page.length === 1);
    const rows = await t.run(async (ctx) => ({
      projects: await Promise.all(ids.map((id) => ctx.db.get("projects", id))),
      tasks: await ctx.db
        .query("tasks")
        .withIndex("by_orgId_and_projectId_and_status_and_position", (q) => q.eq("orgId", a.orgId))
        .collect(),
    }));
    expect(rows.projects).toEqual(ids.map(() => null));
    expect(new Set(rows.tasks.map((task) => task.projectId))).toEqual(new Set([a.projectId, a.archivedProjectId]));
  });

  it("refuses a work item whose project is in another organization, retrying with backoff, then reporting it", async () => {
    const t = newBackend();
    const { a, b } = await seedWorld(t);
    // A's project as if its removal had begun, aimed at through organization B.
    await t.run(async (ctx) => {
      await ctx.db.patch("projects", a.projectId, { deleting: { done: 0, total: 3 } });
    });
    const aBefore = await snapshotOrg(t, a.orgId);
    const bBefore = await snapshotOrg(t, b.orgId);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const started = Date.now();
    await t.run(async (ctx) => {
      await startDeletion(ctx, { kind: "project", orgId: b.orgId, projectId: a.projectId });
    });
    await t.finishAllScheduledFunctions(vi.runAllTimers);

    const retries = warn.mock.calls.filter(([message]) => String(message).includes("trying again"));
    expect(retries).toHaveLength(MAX_ATTEMPTS - 1);
    expect(retries[0]![0]).toContain(`Project ${a.projectId} is not in organization ${b.orgId}`);
    const stopped = error.mock.calls.filter(([message]) => String(message).includes("Deletion batch failed"));
    expect(stopped).toHaveLength(1);
    expect(stopped[0]![0]).toContain(`failed ${MAX_ATTEMPTS} times`);
    // The retries waited out their backoff.
    const waited = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => backoffMs(i + 1)).reduce((x, y) => x + y);
    expect(Date.now() - started).toBeGreaterThanOrEqual(waited);
    expect(await snapshotOrg(t, a.orgId)).toEqual(aBefore);
    expect(await snapshotOrg(t, b.orgId)).toEqual(bBefore);
  });
});

describe("a user deletion on the work pool", () => {
  it("removes the user from every one of their organizations, one work item per organization", async () => {
    const t = newBackend({ documentsRead: 2 * CASCADE_BATCH_SIZE + 64 });
    const { a } = await seedWorld(t);
    const orgCount = USER_ORGS_PER_BATCH * 2 + 5;
    // A's member also belongs to many other organizations, with a colleague and an assigned task in each.
    const others = await t.run(async (ctx) => {
      const colleague = await ctx.db.insert("users", { clerkId: "user_colleague", name: "Colleague" });
      const orgs: Id<"organizations">[] = [];
      for (let i = 0; i < orgCount; i++) {
        const orgId = await ctx.db.insert("organizations", { clerkId: `org_other${i}`, name: `Other ${i}` });
        await ctx.db.insert("memberships", { orgId, userId: a.users.member, role: "org:member", source: "webhook" });
        await ctx.db.insert("memberships", { orgId, userId: colleague, role: "org:admin", source: "webhook" });
        await ctx.db.insert("orgCounters", { orgId, members: 2, projects: 1 });
        const projectId = await ctx.db.insert("projects", {
          orgId,
          name: `P${i}`,
          status: "active",
          createdBy: colleague,
          updatedAt: 0,
        });
        await ctx.db.insert("tasks", {
          orgId,
          projectId,
          title: `T${i}`,
          status: "todo",
          position: 1,
          assigneeId: a.users.member,
          createdBy: colleague,
          updatedAt: 0,
        });
        orgs.push(orgId);
      }
      return { colleague, orgs };
    });

    await post(t, delivery(deletedEvent("user.deleted", "user_A_member", Date.now())));
    await t.finishAllScheduledFunctions(vi.runAllTimers);

    const left = await t.run(async (ctx) => ({
      memberships: await ctx.db
        .query("memberships")
        .withIndex("by_userId", (q) => q.eq("userId", a.users.member))
        .collect(),
      assigned: await Promise.all(
        [a.orgId, ...others.orgs].map((orgId) =>
          ctx.db
            .query("tasks")
            .withIndex("by_orgId_and_assigneeId_and_status", (q) =>
              q.eq("orgId", orgId).eq("assigneeId", a.users.member),
            )
            .collect(),
        ),
      ),
      colleague: await ctx.db
        .query("memberships")
        .withIndex("by_userId", (q) => q.eq("userId", others.colleague))
        .collect(),
      // The members the app counts: the retired row seeded above plus the sharded counter's keys.
      counters: await Promise.all(others.orgs.map((orgId) => readOrgCounters(ctx, orgId))),
      tasks: await Promise.all(
        others.orgs.map((orgId) =>
          ctx.db
            .query("tasks")
            .withIndex("by_orgId_and_projectId_and_status_and_position", (q) => q.eq("orgId", orgId))
            .collect(),
        ),
      ),
    }));
    expect(left.memberships).toEqual([]);
    expect(left.assigned.flat()).toEqual([]);
    // Everything else in those organizations stays: the colleague's memberships, the (unassigned) tasks.
    expect(left.colleague).toHaveLength(orgCount);
    expect(left.counters.map((counter) => counter.members)).toEqual(others.orgs.map(() => 1));
    expect(left.tasks.map((tasks) => tasks.length)).toEqual(others.orgs.map(() => 1));
    expect(await appScheduledFunctions(t)).toEqual([]);
  });
});

describe("an organization deletion on the work pool", () => {
  it("removes every row of a large organization in bounded batches and nothing of another", async () => {
    const t = newBackend({ documentsRead: 2 * CASCADE_BATCH_SIZE + 64 });
    const { a, b } = await seedWorld(t);
    await addTasks(t, a, a.projectId, 3_000);
    const bBefore = {
      counts: await b.as.viewer.query(api.dashboard.counts, {}),
      projects: await b.as.viewer.query(api.projects.list, page),
      members: await b.as.viewer.query(api.organizations.members, page),
    };
    await post(t, delivery(deletedEvent("organization.deleted", "org_A", Date.now())));
    await t.finishAllScheduledFunctions(vi.runAllTimers);

    const left = await t.run(async (ctx) => {
      const tables: string[] = [];
      for (const table of TENANT_TABLES) {
        const rows = await takeByIndex(ctx.db, table, TABLES[table].orgIndex, [["orgId", a.orgId]], 1);
        if (rows.length > 0) tables.push(table);
      }
      return tables;
    });
    expect(left).toEqual([]);
    expect({
      counts: await b.as.viewer.query(api.dashboard.counts, {}),
      projects: await b.as.viewer.query(api.projects.list, page),
      members: await b.as.viewer.query(api.organizations.members, page),
    }).toEqual(bBefore);
    expect(await appScheduledFunctions(t)).toEqual([]);
  });
});
