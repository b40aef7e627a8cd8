import { getFunctionName } from "convex/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  countFromTables,
  expectCountsMatchTables,
  liveTasks,
  randomTaskWrite,
  seededRandom,
  type SeededRandom,
  type WritingOrg,
} from "../tests/convex/counts";
import { counterRows, memberClaims, type Caller } from "../tests/convex/fixtures";
import { newBackend, type Backend } from "../tests/convex/setup";
import { api, components, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { TASK_STATUSES, type StatusCounts } from "./model/validators";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

type OldOrg = WritingOrg & { orgId: Id<"organizations">; admin: Caller };

/**
 * An organization as a deployment held it before the sharded counter: its rows, and its counts in
 * single `taskCounters` (the organization's and each project's) and `orgCounters` documents,
 * written straight into the tables as the old code left them. The counter holds nothing of it.
 */
async function seedBeforeTheCounter(t: Backend, key: string, rand: SeededRandom): Promise<OldOrg> {
  const { orgId, projects } = await t.run(async (ctx) => {
    const orgId = await ctx.db.insert("organizations", { clerkId: `org_${key}`, name: `Org ${key}` });
    const users: Id<"users">[] = [];
    for (const role of ["admin", "member"] as const) {
      const userId = await ctx.db.insert("users", { clerkId: `user_${key}_${role}`, name: `${key} ${role}` });
      await ctx.db.insert("memberships", { orgId, userId, role: `org:${role}`, source: "webhook" });
      users.push(userId);
    }
    const zero = (): StatusCounts => ({ todo: 0, in_progress: 0, done: 0 });
    const orgCounts = zero();
    const projects: Id<"projects">[] = [];
    for (let p = 0; p < 3; p++) {
      const projectId = await ctx.db.insert("projects", {
        orgId,
        name: `Project ${p}`,
        status: "active",
        createdBy: users[0]!,
        updatedAt: 0,
      });
      projects.push(projectId);
      const counts = zero();
      for (let i = 0; i < 20; i++) {
        const status = rand.pick(TASK_STATUSES);
        await ctx.db.insert("tasks", {
          orgId,
          projectId,
          title: `Old ${p}.${i}`,
          status,
          position: i + 1,
          createdBy: users[0]!,
          updatedAt: 0,
        });
        counts[status] += 1;
        orgCounts[status] += 1;
      }
      await ctx.db.insert("taskCounters", { orgId, projectId, ...counts });
    }
    await ctx.db.insert("taskCounters", { orgId, ...orgCounts });
    await ctx.db.insert("orgCounters", { orgId, members: 2, projects: projects.length });
    return { orgId, projects };
  });
  const admin = t.withIdentity(memberClaims(key, "admin"));
  const member = t.withIdentity(memberClaims(key, "member"));
  return { orgId, admin, writers: [admin, member], projects, tasks: await liveTasks(t, projects) };
}

/** What the deployment's new code writes before anyone runs the migration: tasks, a project, a member. */
async function writeAfterDeploy(t: Backend, key: string, org: OldOrg, rand: SeededRandom) {
  for (let step = 0; step < 60; step++) await randomTaskWrite(rand, org, step);
  org.projects.push(await org.admin.mutation(api.projects.create, { name: "New" }));
  await t.withIdentity(memberClaims(key, "viewer")).mutation(api.users.ensure, {});
}

async function retiredRows(t: Backend) {
  return await t.run(async (ctx) => ({
    taskCounters: (await ctx.db.query("taskCounters").collect()).length,
    orgCounters: (await ctx.db.query("orgCounters").collect()).length,
  }));
}

async function runAll(t: Backend, args: { reset?: boolean; batchSize?: number } = {}) {
  await t.mutation(internal.migrations.runAll, args);
  await t.finishAllScheduledFunctions(vi.runAllTimers);
}

async function expectAllCountsRight(t: Backend, orgs: OldOrg[], label: string) {
  for (const org of orgs) await expectCountsMatchTables(t, org.orgId, org.admin, label);
}

describe("migrations:runAll", () => {
  it("moves the single-document counts into the sharded counter, and a second run changes nothing", async () => {
    const rand = seededRandom(7);
    const t = newBackend();
    const orgs = [await seedBeforeTheCounter(t, "A", rand), await seedBeforeTheCounter(t, "B", rand)];
    expect(await counterRows(t)).toEqual([]);
    await expectAllCountsRight(t, orgs, "before any write of the new code");
    for (const [org, key] of [
      [orgs[0]!, "A"],
      [orgs[1]!, "B"],
    ] as const) {
      await writeAfterDeploy(t, key, org, rand);
    }
    await expectAllCountsRight(t, orgs, "the new code's writes, not migrated yet");
    expect(await retiredRows(t)).toEqual({ taskCounters: 8, orgCounters: 2 });

    await runAll(t);
    expect(await retiredRows(t)).toEqual({ taskCounters: 0, orgCounters: 0 });
    await expectAllCountsRight(t, orgs, "after the migration");
    const counters = await counterRows(t);

    await runAll(t);
    await expectAllCountsRight(t, orgs, "after running it again");
    await runAll(t, { reset: true });
    await expectAllCountsRight(t, orgs, "after running it again from the start");
    expect(await counterRows(t)).toEqual(counters);
  });

  it("gives the same counts when a run stops after its first batch and is started again", async () => {
    const rand = seededRandom(11);
    const t = newBackend();
    const orgs = [await seedBeforeTheCounter(t, "A", rand), await seedBeforeTheCounter(t, "B", rand)];
    await writeAfterDeploy(t, "A", orgs[0]!, rand);
    const expected = await Promise.all(orgs.map((org) => countFromTables(t, org.orgId)));

    // The first batch runs in the starting call; the rest is scheduled, and canceled here.
    await t.mutation(internal.migrations.runAll, { batchSize: 3 });
    await t.run(async (ctx) => {
      await ctx.runMutation(components.migrations.lib.cancel, {
        name: getFunctionName(internal.migrations.taskCountersToShardedCounter),
      });
    });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await retiredRows(t)).toEqual({ taskCounters: 5, orgCounters: 2 });
    await expectAllCountsRight(t, orgs, "half-way");

    await runAll(t, { batchSize: 3 });
    expect(await retiredRows(t)).toEqual({ taskCounters: 0, orgCounters: 0 });
    await expectAllCountsRight(t, orgs, "after the run was started again");
    expect(await Promise.all(orgs.map((org) => countFromTables(t, org.orgId)))).toEqual(expected);
  });

  it("drops the counts of a deleted organization instead of moving them", async () => {
    const rand = seededRandom(13);
    const t = newBackend();
    const old = await seedBeforeTheCounter(t, "A", rand);
    await t.run(async (ctx) => {
      await ctx.db.patch("organizations", old.orgId, { deletedAt: Date.now() });
    });
    await runAll(t);
    expect(await retiredRows(t)).toEqual({ taskCounters: 0, orgCounters: 0 });
    expect(await counterRows(t)).toEqual([]);
  });
});
