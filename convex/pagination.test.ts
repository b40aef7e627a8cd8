import type { FunctionReference, PaginationResult } from "convex/server";
import { beforeAll, describe, expect, it } from "vitest";
import { seedWorld, type Caller, type World } from "../tests/convex/fixtures";
import { newBackend, type Backend } from "../tests/convex/setup";
import { api } from "./_generated/api";
import type { Id, TableNames } from "./_generated/dataModel";
import { MAX_PAGE_SIZE } from "./model/pagination";
import type { TaskStatus } from "./model/validators";

/** Rows of the target organization in the list under test: far more than a page. */
const ROWS = 2_000;
/** Rows of the other organization, interleaved in the same index: none may ever show. */
const OTHER_ROWS = 200;
/**
 * Reads one call may make: a page of rows, at most three joined reads per row (assignee, project,
 * counter), and the caller's identity rows. A page reading its whole range would read thousands.
 */
const READ_BUDGET = 4 * MAX_PAGE_SIZE + 50;

type Opts = { numItems: number; cursor: string | null; endCursor?: string | null };
type Row = { _id: string };
type Page = PaginationResult<Row>;

/** A paginated public function: how to call it, and how to fill it for one organization. */
type List = {
  name: string;
  table: TableNames;
  order: "asc" | "desc";
  call: (caller: Caller, world: World, opts: Opts) => Promise<Page>;
  /** Inserts `count` rows for org A (and `other` for org B, interleaved); returns A's ids in list order. */
  seed: (t: Backend, world: World, count: number, other: number, label: string) => Promise<string[]>;
};

type PageQuery = FunctionReference<"query", "public", { paginationOpts: Opts }, Page>;

function query(fn: unknown, args: (world: World) => Record<string, unknown> = () => ({})) {
  return (caller: Caller, world: World, opts: Opts) =>
    caller.query(fn as PageQuery, { ...args(world), paginationOpts: opts } as { paginationOpts: Opts });
}

const STATUSES: TaskStatus[] = ["todo", "in_progress", "done"];

/** Inserts rows through `insert(org, i)` alternating between the organizations, in one transaction. */
async function interleave(
  t: Backend,
  world: World,
  count: number,
  other: number,
  insert: (ctx: Parameters<Parameters<Backend["run"]>[0]>[0], org: World["a"], i: number) => Promise<string>,
) {
  return await t.run(async (ctx) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(await insert(ctx, world.a, i));
      if (i % Math.ceil(count / other) === 0) await insert(ctx, world.b, i);
    }
    return ids;
  });
}

const LISTS: List[] = [
  {
    name: "projects.list",
    table: "projects",
    order: "asc",
    call: query(api.projects.list),
    seed: (t, w, count, other, label) =>
      interleave(t, w, count, other, (ctx, org, i) =>
        ctx.db.insert("projects", {
          orgId: org.orgId,
          name: `${label} ${i}`,
          status: "active",
          createdBy: org.users.admin,
          updatedAt: 0,
        }),
      ),
  },
  {
    name: "tasks.listByStatus",
    table: "tasks",
    order: "asc",
    call: query(api.tasks.listByStatus, (w) => ({ projectId: w.a.projectId, status: "todo" })),
    seed: (t, w, count, other, label) =>
      interleave(t, w, count, other, (ctx, org, i) =>
        ctx.db.insert("tasks", {
          orgId: org.orgId,
          projectId: org.projectId,
          title: `${label} ${i}`,
          status: "todo",
          // After the seeded task (position 1), in insertion order; late rows land between them.
          position: 10 + i + (label === "late" ? 0.5 : 0),
          assigneeId: org.users.member,
          createdBy: org.users.admin,
          updatedAt: 0,
        }),
      ),
  },
  {
    name: "tasks.assignedToMe",
    table: "tasks",
    order: "asc",
    call: query(api.tasks.assignedToMe),
    seed: async (t, w, count, other, label) => {
      const ids = await interleave(t, w, count, other, (ctx, org, i) =>
        ctx.db.insert("tasks", {
          orgId: org.orgId,
          projectId: org.projectId,
          title: `${label} ${i}`,
          // Across the statuses, so the list's position includes the status.
          status: STATUSES[i % STATUSES.length]!,
          position: 10 + i,
          assigneeId: org.users.admin,
          createdBy: org.users.admin,
          updatedAt: 0,
        }),
      );
      // In index order: by status ("done" < "in_progress" < "todo"), then creation.
      const rank = (i: number) => [...STATUSES].sort().indexOf(STATUSES[i % STATUSES.length]!);
      return ids
        .map((id, i) => ({ id, i }))
        .sort((x, y) => rank(x.i) - rank(y.i) || x.i - y.i)
        .map((x) => x.id);
    },
  },
  {
    name: "activity.list",
    table: "activity",
    order: "desc",
    call: query(api.activity.list),
    seed: async (t, w, count, other, label) =>
      (
        await interleave(t, w, count, other, (ctx, org, i) =>
          ctx.db.insert("activity", {
            orgId: org.orgId,
            actorId: org.users.admin,
            action: "project.created",
            label: `${label} ${i}`,
          }),
        )
      ).reverse(),
  },
  {
    name: "organizations.members",
    table: "memberships",
    order: "asc",
    call: query(api.organizations.members),
    seed: (t, w, count, other, label) =>
      interleave(t, w, count, other, async (ctx, org, i) => {
        const userId = await ctx.db.insert("users", {
          clerkId: `user_${label}_${org.orgId}_${i}`,
          name: `${label} ${i}`,
        });
        return await ctx.db.insert("memberships", { orgId: org.orgId, userId, role: "org:member", source: "webhook" });
      }),
  },
];

/** A list of org A holding ROWS more rows than seeding left, with org B's rows interleaved. */
async function bigList(list: List) {
  const t = newBackend({ documentsRead: READ_BUDGET });
  const world = await seedWorld(t);
  const caller = world.a.as.admin;
  const call = (opts: Opts) => list.call(caller, world, opts);
  // What seeding left (a handful of rows) comes before the new rows in an ascending list, after in a descending one.
  const before = (await call({ numItems: MAX_PAGE_SIZE, cursor: null })).page.map((row) => row._id);
  const seeded = await list.seed(t, world, ROWS, OTHER_ROWS, "bulk");
  const expected = list.order === "asc" ? [...before, ...seeded] : [...seeded, ...before];
  return { t, world, call, expected };
}

/** Pages with loadMore's arguments only (`cursor` and `numItems`), as the HTTP API and server code do. */
async function pageThrough(call: (opts: Opts) => Promise<Page>, numItems: number) {
  const ids: string[] = [];
  const cursors: string[] = [];
  let cursor: string | null = null;
  for (let calls = 0; calls < 1_000; calls++) {
    const result = await call({ numItems, cursor });
    expect(result.page.length).toBeLessThanOrEqual(Math.min(numItems, MAX_PAGE_SIZE));
    ids.push(...result.page.map((row) => row._id));
    if (result.isDone) return { ids, cursors };
    cursors.push(result.continueCursor);
    cursor = result.continueCursor;
  }
  throw new Error("pagination never finished");
}

/**
 * Drives a list the way `usePaginatedQuery` from `convex/react` does: it splits a page (two pages with
 * explicit end cursors) when the server recommends or requires it or the page grew past twice the
 * first page's size, and `loadMore` continues from the last page's `continueCursor`.
 */
class Hook {
  pages: { opts: Opts; result?: Page }[];
  calls = 0;

  constructor(
    private readonly call: (opts: Opts) => Promise<Page>,
    first: Opts,
  ) {
    this.pages = [{ opts: first }];
  }

  /** Loads every page without an answer, splitting as the hook does, until nothing changes. */
  async settle() {
    for (let index = 0; index < this.pages.length;) {
      const entry = this.pages[index]!;
      if (entry.result !== undefined) {
        index++;
        continue;
      }
      if (++this.calls > 2_000) throw new Error("pagination never settled");
      const result = await this.call(entry.opts);
      expect(result.page.length).toBeLessThanOrEqual(MAX_PAGE_SIZE);
      const split =
        result.splitCursor &&
        (result.pageStatus === "SplitRecommended" ||
          result.pageStatus === "SplitRequired" ||
          result.page.length > this.pages[0]!.opts.numItems * 2);
      if (split) {
        this.pages.splice(
          index,
          1,
          { opts: { ...entry.opts, endCursor: result.splitCursor } },
          { opts: { ...entry.opts, cursor: result.splitCursor!, endCursor: result.continueCursor } },
        );
      } else {
        expect(result.pageStatus).not.toBe("SplitRequired");
        entry.result = result;
      }
    }
  }

  /** Every page runs again, as subscriptions do after a write. */
  async refresh() {
    for (const entry of this.pages) delete entry.result;
    await this.settle();
  }

  async loadAll(numItems: number) {
    await this.settle();
    while (!this.pages.at(-1)!.result!.isDone) {
      this.pages.push({ opts: { numItems, cursor: this.pages.at(-1)!.result!.continueCursor } });
      await this.settle();
    }
  }

  get ids() {
    return this.pages.flatMap((entry) => entry.result!.page.map((row) => row._id));
  }
}

describe.each(LISTS)("$name pages", (list) => {
  let call: (opts: Opts) => Promise<Page>;
  let expected: string[];
  /** The list paged by cursor alone, a full page at a time. */
  let paged: { ids: string[]; cursors: string[] };

  beforeAll(async () => {
    ({ call, expected } = await bigList(list));
    paged = await pageThrough(call, MAX_PAGE_SIZE);
  });

  it("hold at most 100 rows when endCursor spans thousands of rows", async () => {
    const far = paged.cursors.at(-1)!;
    for (const cursor of [null, paged.cursors[0]!]) {
      const result = await call({ numItems: 10, cursor, endCursor: far });
      expect(result.page.length).toBeLessThanOrEqual(MAX_PAGE_SIZE);
      expect(result.page.length).toBeGreaterThan(0);
      // The page says it is incomplete, so a client splits it instead of skipping rows.
      expect(result.pageStatus).toBe("SplitRequired");
      expect(expected).toEqual(expect.arrayContaining(result.page.map((row) => row._id)));
    }
  });

  it("return every row exactly once, in order, paged by cursor alone", () => {
    expect(expected.length).toBeGreaterThanOrEqual(ROWS);
    expect(paged.ids).toEqual(expected);
  });

  it("return every row of an oversized endCursor range to usePaginatedQuery, split into pages", async () => {
    // A range three pages long, as a hostile client might ask: the hook splits it down to pages.
    const end = paged.cursors[2]!;
    const hook = new Hook(call, { numItems: 10, cursor: null, endCursor: end });
    await hook.settle();
    expect(hook.ids).toEqual(paged.ids.slice(0, 3 * MAX_PAGE_SIZE));
  });
});

describe.each(LISTS)("$name under usePaginatedQuery", (list) => {
  it("stays gap-free and duplicate-free while rows are added and removed", async () => {
    const t = newBackend({ documentsRead: READ_BUDGET });
    const world = await seedWorld(t);
    const call = (opts: Opts) => list.call(world.a.as.admin, world, opts);
    const before = (await call({ numItems: MAX_PAGE_SIZE, cursor: null })).page.map((row) => row._id);
    const seeded = await list.seed(t, world, 300, 50, "bulk");
    const hook = new Hook(call, { numItems: 20, cursor: null });
    await hook.loadAll(20);
    expect(hook.ids).toEqual(list.order === "asc" ? [...before, ...seeded] : [...seeded, ...before]);

    // Rows leave from the middle of pages (which would pull the next page's first row in) and arrive.
    const removed = [seeded[5]!, seeded[19]!, seeded[20]!, seeded[150]!, seeded[299]!];
    await t.run(async (ctx) => {
      for (const id of removed) await ctx.db.delete(list.table, id as Id<typeof list.table>);
    });
    const added = await list.seed(t, world, 150, 10, "late");
    await hook.refresh();
    // Rows past the last page show once the user loads more, as on any list.
    await hook.loadAll(20);
    const ids = hook.ids;
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set([...before, ...seeded, ...added].filter((id) => !removed.includes(id))));
  });
});

describe("cursors", () => {
  it("refuses a cursor this list did not issue, so usePaginatedQuery starts over", async () => {
    const t = newBackend();
    const world = await seedWorld(t);
    const foreignId = world.a.taskIds[0]!;
    for (const cursor of ["not a cursor", "[1,2]", JSON.stringify([1, foreignId]), JSON.stringify([{ a: 1 }, "x"])]) {
      await expect(
        world.a.as.admin.query(api.projects.list, { paginationOpts: { numItems: 5, cursor } }),
      ).rejects.toMatchObject({ data: { code: "INVALID", message: expect.stringMatching(/InvalidCursor/) } });
      await expect(
        world.a.as.admin.query(api.projects.list, { paginationOpts: { numItems: 5, cursor: null, endCursor: cursor } }),
      ).rejects.toMatchObject({ data: { code: "INVALID" } });
    }
    await expect(
      world.a.as.admin.query(api.activity.list, { paginationOpts: { numItems: 5, cursor: null, maximumRowsRead: 0 } }),
    ).rejects.toMatchObject({ data: { code: "INVALID" } });
  });

  it("never reach another organization's rows, whoever issued them", async () => {
    const t = newBackend();
    const world = await seedWorld(t);
    const list = LISTS[0]!;
    await list.seed(t, world, 30, 30, "bulk");
    const fromB = await pageThrough((opts) => list.call(world.b.as.admin, world, opts), 7);
    const ofA = (await pageThrough((opts) => list.call(world.a.as.admin, world, opts), 100)).ids;
    for (const cursor of fromB.cursors) {
      for (const opts of [
        { numItems: 100, cursor },
        { numItems: 100, cursor: null, endCursor: cursor },
      ]) {
        const result = await list.call(world.a.as.admin, world, opts);
        expect(ofA).toEqual(expect.arrayContaining(result.page.map((row) => row._id)));
      }
    }
  });
});
