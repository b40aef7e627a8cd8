import { describe, expect, it, vi } from "vitest";
import { counterRows, seedOrg } from "../tests/convex/fixtures";
import { newBackend } from "../tests/convex/setup";
import { api } from "./_generated/api";
import { CASCADE_BATCH_SIZE } from "./model/cascades";
import { adjustTaskCounts } from "./model/counters";

const page = { paginationOpts: { numItems: 10, cursor: null } };

describe("projects.create", () => {
  it("creates a project, counts it and records who did it", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    const id = await a.as.admin.mutation(api.projects.create, { name: "  Launch  " });
    expect(await a.as.member.query(api.projects.get, { id })).toMatchObject({
      name: "Launch",
      status: "active",
      counts: { todo: 0, in_progress: 0, done: 0 },
    });
    expect(await a.as.admin.query(api.organizations.usage, {})).toMatchObject({ projects: 3 });
    const feed = await a.as.viewer.query(api.activity.list, page);
    expect(feed.page[0]).toMatchObject({ action: "project.created", label: "Launch", actor: { name: "A admin" } });
  });

  it.each([
    ["", "must not be empty"],
    ["   ", "must not be empty"],
    ["x".repeat(101), "at most 100 characters"],
  ])("refuses the name %j with a message naming the problem", async (name, message) => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await expect(a.as.admin.mutation(api.projects.create, { name })).rejects.toMatchObject({
      data: { code: "INVALID", message: expect.stringContaining(message) },
    });
  });
});

describe("projects.list", () => {
  it("lists active projects by default and archived ones on request, paginated", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    for (let i = 0; i < 5; i++) await a.as.admin.mutation(api.projects.create, { name: `P${i}` });
    const first = await a.as.member.query(api.projects.list, { paginationOpts: { numItems: 4, cursor: null } });
    expect(first.page.map((p) => p.name)).toEqual(["Roadmap A", "P0", "P1", "P2"]);
    const second = await a.as.member.query(api.projects.list, {
      paginationOpts: { numItems: 4, cursor: first.continueCursor },
    });
    expect(second.page.map((p) => p.name)).toEqual(["P3", "P4"]);
    expect(second.isDone).toBe(true);
    const archived = await a.as.member.query(api.projects.list, { status: "archived", ...page });
    expect(archived.page.map((p) => p.name)).toEqual(["Archive A"]);
  });

  it("caps a page at 100 rows whatever the client asks", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await t.run(async (ctx) => {
      for (let i = 0; i < 120; i++) {
        await ctx.db.insert("projects", {
          orgId: a.orgId,
          name: `Bulk ${i}`,
          status: "active",
          createdBy: a.users.admin,
          updatedAt: 0,
        });
      }
    });
    const result = await a.as.member.query(api.projects.list, { paginationOpts: { numItems: 1000, cursor: null } });
    expect(result.page).toHaveLength(100);
    await expect(
      a.as.member.query(api.projects.list, { paginationOpts: { numItems: 0, cursor: null } }),
    ).rejects.toMatchObject({ data: { code: "INVALID" } });
  });
});

describe("projects.get", () => {
  it("returns null for an id of another organization", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    const b = await seedOrg(t, "B");
    expect(await b.as.admin.query(api.projects.get, { id: a.projectId })).toBeNull();
    expect(await a.as.admin.query(api.projects.get, { id: a.projectId })).toMatchObject({ name: "Roadmap A" });
  });
});

describe("projects.rename", () => {
  it("renames and records the old and new names", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.admin.mutation(api.projects.rename, { id: a.projectId, name: "Roadmap 2027" });
    expect(await a.as.member.query(api.projects.get, { id: a.projectId })).toMatchObject({ name: "Roadmap 2027" });
    const feed = await a.as.member.query(api.activity.list, page);
    expect(feed.page[0]).toMatchObject({ action: "project.renamed", from: "Roadmap A", to: "Roadmap 2027" });
  });
});

describe("projects.archive and projects.unarchive", () => {
  it("moves a project between the lists and freezes its tasks while archived", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.admin.mutation(api.projects.archive, { id: a.projectId });
    expect(await a.as.member.query(api.projects.get, { id: a.projectId })).toMatchObject({ status: "archived" });
    await expect(
      a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: "Frozen" }),
    ).rejects.toMatchObject({ data: { code: "CONFLICT", message: expect.stringContaining("archived") } });
    await a.as.admin.mutation(api.projects.unarchive, { id: a.projectId });
    await expect(
      a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: "Thawed" }),
    ).resolves.toBeTruthy();
  });
});

describe("projects.remove", () => {
  it("hides the project at once but from its list, which shows the deletion until the pool has removed it all", async () => {
    vi.useFakeTimers();
    try {
      const t = newBackend();
      const a = await seedOrg(t, "A");
      const taskCount = CASCADE_BATCH_SIZE * 2 + 7;
      await t.run(async (ctx) => {
        for (let i = 0; i < taskCount; i++) {
          await ctx.db.insert("tasks", {
            orgId: a.orgId,
            projectId: a.projectId,
            title: `Bulk ${i}`,
            status: "todo",
            position: 100 + i,
            createdBy: a.users.admin,
            updatedAt: 0,
          });
        }
        await adjustTaskCounts(ctx, { orgId: a.orgId, projectId: a.projectId }, { todo: taskCount });
      });
      expect(await a.as.member.query(api.dashboard.counts, {})).toMatchObject({ tasks: { todo: taskCount + 2 } });

      await a.as.admin.mutation(api.projects.remove, { id: a.projectId });
      // Hidden at once: not readable, not counted, its tasks unreachable, no longer changeable.
      expect(await a.as.member.query(api.projects.get, { id: a.projectId })).toBeNull();
      expect(await a.as.member.query(api.dashboard.counts, {})).toEqual({
        tasks: { todo: 1, in_progress: 0, done: 0 },
        projects: 1,
      });
      expect(await a.as.member.query(api.tasks.get, { id: a.taskIds[0]! })).toBeNull();
      expect((await a.as.member.query(api.tasks.assignedToMe, page)).page).toEqual([]);
      await expect(a.as.admin.mutation(api.projects.archive, { id: a.projectId })).rejects.toMatchObject({
        data: { code: "NOT_FOUND" },
      });
      await expect(a.as.admin.mutation(api.projects.remove, { id: a.projectId })).rejects.toMatchObject({
        data: { code: "NOT_FOUND" },
      });
      // Its list keeps it, with the deletion's progress.
      expect((await a.as.member.query(api.projects.list, page)).page).toMatchObject([
        { _id: a.projectId, name: "Roadmap A", deleting: { done: 0, total: taskCount + 3 } },
      ]);

      await t.finishAllScheduledFunctions(vi.runAllTimers);
      expect((await a.as.member.query(api.projects.list, page)).page).toEqual([]);
      const left = await t.run(async (ctx) => ({
        project: await ctx.db.get("projects", a.projectId),
        tasks: (await ctx.db.query("tasks").collect()).filter((task) => task.projectId === a.projectId),
      }));
      expect(left).toEqual({ project: null, tasks: [] });
      // The project's counts went with it; the organization's stay.
      const counterKeys = (await counterRows(t)).map((row) => String(row.name));
      expect(counterKeys.filter((key) => key.includes(a.projectId))).toEqual([]);
      expect(counterKeys).toContain(`${a.orgId}:tasks:todo`);
      // The feed keeps the deletion, readable without the project.
      const feed = await a.as.member.query(api.activity.list, page);
      expect(feed.page[0]).toMatchObject({ action: "project.deleted", label: "Roadmap A" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps an archived project in the archived list while it is deleted", async () => {
    vi.useFakeTimers();
    try {
      const t = newBackend();
      const a = await seedOrg(t, "A");
      await a.as.admin.mutation(api.projects.remove, { id: a.archivedProjectId });
      expect((await a.as.member.query(api.projects.list, { status: "archived", ...page })).page).toMatchObject([
        { name: "Archive A", status: "archived", deleting: { done: 0, total: 1 } },
      ]);
      expect((await a.as.member.query(api.projects.list, page)).page).toMatchObject([{ name: "Roadmap A" }]);
      expect((await a.as.member.query(api.projects.list, page)).page[0]).not.toHaveProperty("deleting");
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      expect((await a.as.member.query(api.projects.list, { status: "archived", ...page })).page).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});
