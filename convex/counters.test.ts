import { afterEach, describe, expect, it, vi } from "vitest";
import {
  expectCountsMatchTables,
  liveTasks,
  randomTaskWrite,
  seededRandom,
  type WritingOrg,
} from "../tests/convex/counts";
import { counterRows, seedWorld, type SeededOrg } from "../tests/convex/fixtures";
import { newBackend } from "../tests/convex/setup";
import { api } from "./_generated/api";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("counts kept in the sharded counter", () => {
  it("stay exact under 1,000 random creates, moves and deletes across projects of two organizations", async () => {
    // A thousand writes by four people in a few seconds is a burst the per-user write limit refuses;
    // counting is what is under test here (convex/rateLimits.test.ts covers the limit).
    vi.stubEnv("RATE_LIMIT_WRITES_PER_USER", "off");
    const seed = 20_240_611;
    const rand = seededRandom(seed);
    const t = newBackend();
    const world = await seedWorld(t);
    const orgs: (WritingOrg & { seeded: SeededOrg })[] = [];
    for (const seeded of [world.a, world.b]) {
      const projects = [
        seeded.projectId,
        await seeded.as.admin.mutation(api.projects.create, { name: "Second" }),
        await seeded.as.admin.mutation(api.projects.create, { name: "Third" }),
      ];
      const writers = [seeded.as.admin, seeded.as.member];
      orgs.push({ seeded, writers, projects, tasks: await liveTasks(t, projects) });
    }
    const tally = { created: 0, moved: 0, deleted: 0, refused: 0 };

    for (let step = 1; step <= 1000; step++) {
      const org = rand.pick(orgs);
      if (rand.below(100) < 5) {
        // Refused writes (an archived project, a read-only role) roll back and count nothing.
        const refused = rand.chance(0.5)
          ? org.seeded.as.member.mutation(api.tasks.create, { projectId: org.seeded.archivedProjectId, title: "No" })
          : org.seeded.as.viewer.mutation(api.tasks.create, { projectId: org.seeded.projectId, title: "No" });
        await expect(refused).rejects.toMatchObject({
          data: { code: expect.stringMatching(/^(CONFLICT|FORBIDDEN)$/) },
        });
        tally.refused += 1;
      } else {
        tally[await randomTaskWrite(rand, org, step)] += 1;
      }
      if (step % 250 === 0) {
        for (const { seeded } of orgs) {
          await expectCountsMatchTables(t, seeded.orgId, seeded.as.admin, `seed ${seed}, step ${step}`);
        }
      }
    }
    // The sequence did each kind of write many times.
    expect(Math.min(tally.created, tally.moved, tally.deleted, tally.refused)).toBeGreaterThan(20);

    // No key is shared across tenants: each starts with its organization, and a project's is that organization's.
    const projectsOf = new Map(
      orgs.map(({ seeded, projects }) => [seeded.orgId as string, [...projects, seeded.archivedProjectId] as string[]]),
    );
    const keys = (await counterRows(t)).map((row) => String(row.name));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const [orgId, second] = key.split(":") as [string, string];
      expect(projectsOf.has(orgId), key).toBe(true);
      if (!["tasks", "members", "projects"].includes(second)) expect(projectsOf.get(orgId), key).toContain(second);
    }
  }, 120_000);

  it("spreads an organization's task writes over its shards", async () => {
    const t = newBackend();
    const { a } = await seedWorld(t);
    for (let i = 0; i < 40; i++)
      await a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: `T${i}` });
    const shards = (await counterRows(t)).filter((row) => row.name === `${a.orgId}:tasks:todo`);
    // All 42 writes on one shard would be a 1-in-16^41 chance.
    expect(shards.length).toBeGreaterThan(1);
    expect(shards.reduce((sum, row) => sum + Number(row.value), 0)).toBe(42);
  });

  it("adds the retired single-document counts of the caller's organization only", async () => {
    const t = newBackend();
    const { a, b } = await seedWorld(t);
    const bBefore = await b.as.member.query(api.dashboard.counts, {});
    await t.run(async (ctx) => {
      await ctx.db.insert("taskCounters", { orgId: a.orgId, todo: 10, in_progress: 20, done: 30 });
      await ctx.db.insert("taskCounters", {
        orgId: a.orgId,
        projectId: a.projectId,
        todo: 10,
        in_progress: 20,
        done: 30,
      });
      await ctx.db.insert("orgCounters", { orgId: a.orgId, members: 5, projects: 6 });
    });
    expect(await a.as.member.query(api.dashboard.counts, {})).toEqual({
      tasks: { todo: 12, in_progress: 21, done: 31 },
      projects: 8,
    });
    expect(await a.as.member.query(api.projects.get, { id: a.projectId })).toMatchObject({
      counts: { todo: 11, in_progress: 21, done: 31 },
    });
    expect(await a.as.admin.query(api.organizations.usage, {})).toEqual({ members: 9, projects: 8, tasks: 64 });
    expect(await b.as.member.query(api.dashboard.counts, {})).toEqual(bBefore);
  });
});
