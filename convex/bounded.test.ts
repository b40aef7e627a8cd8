import { makeFunctionReference } from "convex/server";
import { beforeAll, describe, expect, it } from "vitest";
import { seedBulk, type BulkWorld } from "../tests/convex/bulk";
import { discoverPublicFunctions } from "../tests/convex/discovery";
import { QUERY_ARGS } from "../tests/convex/queries";
import { type Backend, modules, newBackend } from "../tests/convex/setup";
import { MAX_PAGE_SIZE } from "./model/pagination";

/**
 * A fixed budget, independent of how much data exists: one page of rows, the rows joined to each
 * (an assignee, an actor, a project's counts), and the handful of rows that identify the caller.
 */
const DOCUMENTS_READ_LIMIT = 2 * MAX_PAGE_SIZE + 20;

const queries = (await discoverPublicFunctions(modules)).filter((fn) => fn.kind === "query");

describe("bounded reads with 100,000 tasks across 200 organizations", () => {
  let t: Backend;
  let world: BulkWorld;

  beforeAll(async () => {
    t = newBackend({ documentsRead: DOCUMENTS_READ_LIMIT });
    // The target holds more than a page in every list: 600 tasks, 600 feed entries.
    world = await seedBulk(t, { totalTasks: 100_000, organizations: 200, targetTasks: 600 });
    expect(world.totalTasks).toBe(100_000);
  }, 300_000);

  it("enforces the limit (an unbounded read of one organization's tasks fails)", async () => {
    await expect(
      t.run(async (ctx) =>
        ctx.db
          .query("tasks")
          .withIndex("by_orgId_and_projectId_and_status_and_position", (q) => q.eq("orgId", world.target.orgId))
          .collect(),
      ),
    ).rejects.toThrow(/documents/i);
  });

  it("has arguments for every public query", () => {
    expect(Object.keys(QUERY_ARGS).sort()).toEqual(queries.map((fn) => fn.name));
  });

  it.each(queries)("$name stays within the fixed budget", async (fn) => {
    const args = QUERY_ARGS[fn.name]!(world);
    const caller = world.target.as.admin;
    const result = await caller.query(makeFunctionReference<"query">(fn.name), args);
    expect(result).not.toBeNull();
    if (typeof result === "object" && result !== null && "page" in result) {
      // A full page came back: the budget held with real work done.
      expect((result as { page: unknown[] }).page.length).toBeGreaterThan(0);
    }
  });
});
