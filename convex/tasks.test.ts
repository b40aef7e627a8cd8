import { describe, expect, it } from "vitest";
import { seedOrg, seedWorld, type SeededOrg } from "../tests/convex/fixtures";
import { newBackend } from "../tests/convex/setup";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";

const page = { paginationOpts: { numItems: 100, cursor: null } };

async function column(org: SeededOrg, status: "todo" | "in_progress" | "done", projectId = org.projectId) {
  const result = await org.as.viewer.query(api.tasks.listByStatus, { projectId, status, ...page });
  return result.page.map((task) => task.title);
}

describe("tasks.create", () => {
  it("appends to the column, counts it and records it", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: "Test A" });
    expect(await column(a, "todo")).toEqual(["Plan A", "Test A"]);
    expect(await a.as.viewer.query(api.projects.get, { id: a.projectId })).toMatchObject({
      counts: { todo: 2, in_progress: 1, done: 1 },
    });
    expect(await a.as.viewer.query(api.dashboard.counts, {})).toMatchObject({
      tasks: { todo: 3, in_progress: 1, done: 1 },
    });
    expect((await a.as.viewer.query(api.activity.list, page)).page[0]).toMatchObject({
      action: "task.created",
      label: "Test A",
      actor: { name: "A member" },
    });
  });

  it("refuses an empty title and an over-long description", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await expect(a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: " " })).rejects.toMatchObject({
      data: { code: "INVALID", message: "Task title must not be empty." },
    });
    await expect(
      a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: "ok", description: "x".repeat(5001) }),
    ).rejects.toMatchObject({ data: { code: "INVALID" } });
  });
});

describe("tasks.get and tasks.listByStatus", () => {
  it("shows a task with its assignee, and lists each column in board order", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    expect(await a.as.viewer.query(api.tasks.get, { id: a.taskIds[1]! })).toMatchObject({
      title: "Build A",
      status: "in_progress",
      assignee: { _id: a.users.member, name: "A member", deleted: false },
    });
    expect(await column(a, "todo")).toEqual(["Plan A"]);
    expect(await column(a, "in_progress")).toEqual(["Build A"]);
    expect(await column(a, "done")).toEqual(["Ship A"]);
  });
});

describe("tasks.move", () => {
  it("moves between columns and within one, keeping counters right", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    const [plan, build, ship] = a.taskIds as [Id<"tasks">, Id<"tasks">, Id<"tasks">];
    await a.as.member.mutation(api.tasks.move, { id: plan, status: "in_progress" });
    expect(await column(a, "in_progress")).toEqual(["Build A", "Plan A"]);
    await a.as.member.mutation(api.tasks.move, { id: plan, status: "in_progress", beforeId: build });
    expect(await column(a, "in_progress")).toEqual(["Plan A", "Build A"]);
    await a.as.member.mutation(api.tasks.move, { id: ship, status: "in_progress", beforeId: build });
    expect(await column(a, "in_progress")).toEqual(["Plan A", "Ship A", "Build A"]);
    expect(await column(a, "done")).toEqual([]);
    expect(await a.as.viewer.query(api.projects.get, { id: a.projectId })).toMatchObject({
      counts: { todo: 0, in_progress: 3, done: 0 },
    });
    expect((await a.as.viewer.query(api.activity.list, page)).page[0]).toMatchObject({
      action: "task.moved",
      from: "done",
      to: "in_progress",
    });
  });

  it("keeps order through many moves into the same gap (renumbering when it runs out)", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    const [plan] = a.taskIds as [Id<"tasks">];
    const ids: Id<"tasks">[] = [];
    for (let i = 0; i < 60; i++) {
      ids.push(await a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: `T${i}` }));
    }
    // Each task goes just before the one moved last: the same gap after T0 halves 58 times,
    // past a double's precision, so the column must be renumbered on the way.
    let anchor = ids[1]!;
    for (let i = 59; i >= 2; i--) {
      await a.as.member.mutation(api.tasks.move, { id: ids[i]!, status: "todo", beforeId: anchor });
      anchor = ids[i]!;
    }
    const expected = ["Plan A", "T0", ...Array.from({ length: 58 }, (_, k) => `T${k + 2}`), "T1"];
    expect(await column(a, "todo")).toEqual(expected);
    const positions = (
      await a.as.viewer.query(api.tasks.listByStatus, { projectId: a.projectId, status: "todo", ...page })
    ).page.map((task) => task.position);
    expect(new Set(positions).size).toBe(positions.length);
    expect(plan).toBeTruthy();
  });

  it("refuses an anchor in another project, status or organization, and the task itself", async () => {
    const t = newBackend();
    const { a, b } = await seedWorld(t);
    const [plan, build] = a.taskIds as [Id<"tasks">, Id<"tasks">];
    for (const beforeId of [plan, build, b.taskIds[1]!]) {
      await expect(a.as.member.mutation(api.tasks.move, { id: plan, status: "todo", beforeId })).rejects.toMatchObject({
        data: { code: "INVALID" },
      });
    }
  });
});

describe("tasks.update", () => {
  it("edits title and description and records the rename", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.member.mutation(api.tasks.update, { id: a.taskIds[0]!, title: "Plan better", description: "" });
    const task = await a.as.viewer.query(api.tasks.get, { id: a.taskIds[0]! });
    expect(task).toMatchObject({ title: "Plan better" });
    expect(task).not.toHaveProperty("description");
    expect((await a.as.viewer.query(api.activity.list, page)).page[0]).toMatchObject({
      action: "task.edited",
      from: "Plan A",
      to: "Plan better",
    });
  });
});

describe("tasks.assign", () => {
  it("assigns to a member of the same organization and unassigns with null", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.member.mutation(api.tasks.assign, { id: a.taskIds[0]!, assigneeId: a.users.viewer });
    const mine = await a.as.viewer.query(api.tasks.assignedToMe, page);
    expect(mine.page.map((task) => task.title)).toEqual(["Plan A"]);
    await a.as.member.mutation(api.tasks.assign, { id: a.taskIds[0]!, assigneeId: null });
    expect((await a.as.viewer.query(api.tasks.assignedToMe, page)).page).toEqual([]);
  });

  it("refuses an assignee from another organization or whose membership was removed", async () => {
    const t = newBackend();
    const { a, b } = await seedWorld(t);
    await expect(
      a.as.member.mutation(api.tasks.assign, { id: a.taskIds[0]!, assigneeId: b.users.member }),
    ).rejects.toMatchObject({
      data: { code: "INVALID", message: expect.stringContaining("members of this organization") },
    });
    await expect(
      a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: "x", assigneeId: b.users.admin }),
    ).rejects.toMatchObject({ data: { code: "INVALID" } });
    await t.run(async (ctx) => {
      const membership = await ctx.db
        .query("memberships")
        .withIndex("by_orgId_and_userId", (q) => q.eq("orgId", a.orgId).eq("userId", a.users.viewer))
        .unique();
      await ctx.db.patch("memberships", membership!._id, { deletedAt: Date.now() });
    });
    await expect(
      a.as.member.mutation(api.tasks.assign, { id: a.taskIds[0]!, assigneeId: a.users.viewer }),
    ).rejects.toMatchObject({ data: { code: "INVALID" } });
  });
});

describe("tasks.assignedToMe", () => {
  it("lists the caller's tasks, optionally in one status", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    expect((await a.as.member.query(api.tasks.assignedToMe, page)).page.map((x) => x.title)).toEqual(["Build A"]);
    expect((await a.as.member.query(api.tasks.assignedToMe, { status: "done", ...page })).page).toEqual([]);
  });
});

describe("tasks.remove", () => {
  it("deletes the task and its count, and keeps it in the feed", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.member.mutation(api.tasks.remove, { id: a.taskIds[2]! });
    expect(await a.as.viewer.query(api.tasks.get, { id: a.taskIds[2]! })).toBeNull();
    expect(await a.as.viewer.query(api.dashboard.counts, {})).toMatchObject({
      tasks: { todo: 2, in_progress: 1, done: 0 },
    });
    expect((await a.as.viewer.query(api.activity.list, page)).page[0]).toMatchObject({
      action: "task.deleted",
      label: "Ship A",
    });
  });
});

describe("mass assignment", () => {
  const smuggled = ["orgId", "createdBy", "_id", "position", "userId"];

  it.each(smuggled)("rejects an extra %s argument on every task and project write", async (field) => {
    const t = newBackend();
    const { a, b } = await seedWorld(t);
    const value = field === "position" ? 1 : field === "createdBy" || field === "userId" ? b.users.admin : b.orgId;
    const calls = [
      () => a.as.admin.mutation(api.projects.create, { name: "x", [field]: value } as never),
      () => a.as.admin.mutation(api.projects.rename, { id: a.projectId, name: "x", [field]: value } as never),
      () => a.as.admin.mutation(api.tasks.create, { projectId: a.projectId, title: "x", [field]: value } as never),
      () => a.as.admin.mutation(api.tasks.update, { id: a.taskIds[0]!, title: "x", [field]: value } as never),
      () => a.as.admin.mutation(api.tasks.move, { id: a.taskIds[0]!, status: "done", [field]: value } as never),
      () => a.as.admin.mutation(api.tasks.assign, { id: a.taskIds[0]!, assigneeId: null, [field]: value } as never),
    ];
    for (const call of calls) {
      await expect(call()).rejects.toThrow(`Unexpected field \`${field}\``);
    }
  });

  it("never moves a task into another organization's project", async () => {
    const t = newBackend();
    const { a, b } = await seedWorld(t);
    await expect(
      a.as.admin.mutation(api.tasks.create, { projectId: b.projectId, title: "Smuggled" }),
    ).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    await expect(
      a.as.admin.mutation(api.tasks.move, { id: a.taskIds[0]!, status: "todo", beforeId: b.taskIds[0]! }),
    ).rejects.toMatchObject({ data: { code: "INVALID" } });
    const bTasks = await t.run(async (ctx) =>
      (await ctx.db.query("tasks").collect()).filter((task) => task.projectId === b.projectId),
    );
    expect(bTasks.every((task) => task.orgId === b.orgId)).toBe(true);
    expect(bTasks.map((task) => task.title).sort()).toEqual(["Build B", "Plan B", "Ship B"]);
  });
});
