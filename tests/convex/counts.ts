/** The counts the app shows, checked against a count of the tables themselves. */
import { expect } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { TASK_STATUSES, type StatusCounts, type TaskStatus } from "../../convex/model/validators";
import type { Caller } from "./fixtures";
import type { Backend } from "./setup";

const ZERO: StatusCounts = { todo: 0, in_progress: 0, done: 0 };

/**
 * What the tables hold for one organization, counted row by row: tasks by status (of projects
 * not being deleted) overall and per project, projects, and active members.
 */
export async function countFromTables(t: Backend, orgId: Id<"organizations">) {
  return await t.run(async (ctx) => {
    // Small test worlds: full reads are fine here.
    const projects = (await ctx.db.query("projects").collect()).filter(
      (project) => project.orgId === orgId && project.deleting === undefined,
    );
    const members = (await ctx.db.query("memberships").collect()).filter(
      (membership) => membership.orgId === orgId && membership.deletedAt === undefined,
    );
    const byProject: Record<string, StatusCounts> = Object.fromEntries(
      projects.map((project) => [project._id, { ...ZERO }]),
    );
    const tasks = { ...ZERO };
    for (const task of await ctx.db.query("tasks").collect()) {
      const counts = byProject[task.projectId];
      if (task.orgId !== orgId || counts === undefined) continue;
      counts[task.status] += 1;
      tasks[task.status] += 1;
    }
    return { tasks, byProject, projects: projects.length, members: members.length };
  });
}

/** The dashboard, the usage page and every project's counts, as `admin` sees them, equal a count of the tables. */
export async function expectCountsMatchTables(t: Backend, orgId: Id<"organizations">, admin: Caller, label: string) {
  const expected = await countFromTables(t, orgId);
  expect(await admin.query(api.dashboard.counts, {}), label).toEqual({
    tasks: expected.tasks,
    projects: expected.projects,
  });
  expect(await admin.query(api.organizations.usage, {}), label).toEqual({
    members: expected.members,
    projects: expected.projects,
    tasks: expected.tasks.todo + expected.tasks.in_progress + expected.tasks.done,
  });
  for (const [projectId, counts] of Object.entries(expected.byProject)) {
    const project = await admin.query(api.projects.get, { id: projectId as Id<"projects"> });
    expect(project?.counts, `${label}: project ${projectId}`).toEqual(counts);
  }
}

/** A small seeded generator (mulberry32), so a failing sequence can be replayed from its seed. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return {
    below: (n: number) => Math.floor(next() * n),
    pick<T>(items: readonly T[]): T {
      return items[Math.floor(next() * items.length)]!;
    },
    chance: (p: number) => next() < p,
  };
}
export type SeededRandom = ReturnType<typeof seededRandom>;

export type LiveTask = { id: Id<"tasks">; projectId: Id<"projects">; status: TaskStatus };

/** An organization as the random writes see it: who writes, where, and the tasks there are. */
export type WritingOrg = { writers: Caller[]; projects: Id<"projects">[]; tasks: LiveTask[] };

/** The organization's tasks in `projects`, as the random writes start from. */
export async function liveTasks(t: Backend, projects: Id<"projects">[]): Promise<LiveTask[]> {
  return await t.run(async (ctx) => {
    // Small test worlds: a full read is fine here.
    const tasks = await ctx.db.query("tasks").collect();
    return tasks
      .filter((task) => projects.includes(task.projectId))
      .map(({ _id, projectId, status }) => ({ id: _id, projectId, status }));
  });
}

/**
 * One random task write through the app's mutations: a create (40%, or when there is no task), a
 * move to a random column, at its end or before a random task of it (35%), or a delete (25%).
 */
export async function randomTaskWrite(
  rand: SeededRandom,
  org: WritingOrg,
  step: number,
): Promise<"created" | "moved" | "deleted"> {
  const writer = rand.pick(org.writers);
  const roll = rand.below(100);
  if (roll < 40 || org.tasks.length === 0) {
    const projectId = rand.pick(org.projects);
    const status = rand.pick(TASK_STATUSES);
    const id = await writer.mutation(api.tasks.create, { projectId, title: `Task ${step}`, status });
    org.tasks.push({ id, projectId, status });
    return "created";
  }
  if (roll < 75) {
    const task = rand.pick(org.tasks);
    const status = rand.pick(TASK_STATUSES);
    const before = org.tasks.filter(
      (other) => other.projectId === task.projectId && other.status === status && other.id !== task.id,
    );
    const beforeId = before.length > 0 && rand.chance(0.5) ? rand.pick(before).id : undefined;
    await writer.mutation(api.tasks.move, { id: task.id, status, ...(beforeId && { beforeId }) });
    task.status = status;
    return "moved";
  }
  const index = rand.below(org.tasks.length);
  await writer.mutation(api.tasks.remove, { id: org.tasks[index]!.id });
  org.tasks.splice(index, 1);
  return "deleted";
}
