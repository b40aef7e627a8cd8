// @vitest-environment node
/**
 * Scheduled functions and cron jobs as a Convex deployment runs them. When cron jobs run:
 * convex-backend crates/model/src/cron_jobs/next_ts.rs (`compute_next_ts`) with Convex's saffron
 * fork (github.com/get-convex/saffron, parse.rs) reading the expressions, and the docs "Cron Jobs"
 * (UTC; a monthly day greater than 28 does not run every month; interval jobs first run when
 * deployed). The `_scheduled_functions` rows: the docs "Scheduled Functions" and the system table's
 * schema in convex/src/server/schema.ts; crates/model/src/scheduled_jobs/mod.rs (`complete`, `cancel`).
 */
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, it, test, vi, type MockInstance } from "vitest";
import { analyzeModule, PushError } from "../src/analyze";
import { cronCanMatch, CronExpressionError, nextCronTime, parseCronExpression } from "../src/cron";
import { nextRun, type CronSchedule } from "../src/scheduler";
import type { SourceMaps } from "../src/source-maps";
import { ManualClock } from "../src/testing";
import { startOfflineConvex, type OfflineConvexOptions } from "../src";
import { FIXTURE_DIR, httpClient, tempDir } from "./support";

/** Asks `check` again until it answers something other than undefined. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** The first run strictly after `from` of a cron expression. */
const nextOf = (expression: string, from: string) => iso(nextCronTime(parseCronExpression(expression), utc(from)));
const runsOf = (schedule: CronSchedule, previous: string | null, now: string) =>
  iso(nextRun(schedule, previous === null ? null : utc(previous), utc(now)));

describe("cron expressions: when they run", () => {
  it("runs ranges, steps and lists in UTC, strictly after the given time", () => {
    expect(nextOf("*/15 9-17 * * 1-5", "2024-06-07T16:50:00Z")).toBe("2024-06-07T17:00:00.000Z");
    // Friday 17:45 was the last run of the week: Monday morning next.
    expect(nextOf("*/15 9-17 * * 1-5", "2024-06-07T17:45:00Z")).toBe("2024-06-10T09:00:00.000Z");
    expect(nextOf("5,35 * * * *", "2024-06-07T10:05:00Z")).toBe("2024-06-07T10:35:00.000Z");
    expect(nextOf("10-20/5 * * * *", "2024-06-07T10:16:00Z")).toBe("2024-06-07T10:20:00.000Z");
    expect(nextOf("* * * * *", "2024-06-07T10:05:30.500Z")).toBe("2024-06-07T10:06:00.000Z");
    expect(nextOf("0 0 1 JAN,jul *", "2024-02-01T00:00:00Z")).toBe("2024-07-01T00:00:00.000Z");
  });

  it("takes days of the week by number (Sunday 0) and name", () => {
    // Wednesday 5 June 2024.
    expect(nextOf("0 0 * * 0", "2024-06-05T12:00:00Z")).toBe("2024-06-09T00:00:00.000Z");
    expect(nextOf("0 0 * * SUN", "2024-06-05T12:00:00Z")).toBe("2024-06-09T00:00:00.000Z");
    expect(nextOf("30 8 * * mon-wed", "2024-06-05T09:00:00Z")).toBe("2024-06-10T08:30:00.000Z");
  });

  it("runs on either day when both the day of month and the day of week are given", () => {
    // Friday 11 October 2024; the 13th is a Sunday.
    expect(nextOf("0 12 13 * 5", "2024-10-11T12:00:00Z")).toBe("2024-10-13T12:00:00.000Z");
    expect(nextOf("0 12 13 * 5", "2024-10-13T12:00:00Z")).toBe("2024-10-18T12:00:00.000Z");
  });

  it("wraps ranges that end before they start, as Convex's parser does (cron-parser alone refuses them)", () => {
    expect(nextOf("0 22-2 * * *", "2024-01-01T02:30:00Z")).toBe("2024-01-01T22:00:00.000Z");
    expect(nextOf("0 22-2 * * *", "2024-01-01T23:30:00Z")).toBe("2024-01-02T00:00:00.000Z");
    // Tuesday 4 June 2024: Friday through Monday.
    expect(nextOf("0 0 * * FRI-MON", "2024-06-04T00:00:00Z")).toBe("2024-06-07T00:00:00.000Z");
    expect(nextOf("0 0 * * FRI-MON", "2024-06-09T00:00:00Z")).toBe("2024-06-10T00:00:00.000Z");
  });

  it("reads L, W and # as Convex's parser does", () => {
    expect(nextOf("0 0 L * *", "2024-02-10T00:00:00Z")).toBe("2024-02-29T00:00:00.000Z");
    expect(nextOf("0 0 L-2 * *", "2024-04-01T00:00:00Z")).toBe("2024-04-28T00:00:00.000Z");
    // 15 June 2024 is a Saturday: the Friday before.
    expect(nextOf("0 0 15W * *", "2024-06-01T00:00:00Z")).toBe("2024-06-14T00:00:00.000Z");
    // 1 June 2024 is a Saturday: the Monday after, not a day of May.
    expect(nextOf("0 0 1W * *", "2024-05-31T12:00:00Z")).toBe("2024-06-03T00:00:00.000Z");
    // 31 August 2024 is a Saturday: the last weekday is Friday the 30th.
    expect(nextOf("0 0 LW * *", "2024-08-01T00:00:00Z")).toBe("2024-08-30T00:00:00.000Z");
    expect(nextOf("0 0 * * 5L", "2024-06-01T00:00:00Z")).toBe("2024-06-28T00:00:00.000Z");
    expect(nextOf("0 0 * * MON#2", "2024-06-01T00:00:00Z")).toBe("2024-06-10T00:00:00.000Z");
  });
});

describe("cron expressions: what Convex refuses", () => {
  it.each([
    ["a seconds field", "0 0 0 * * *"],
    ["a question mark", "0 0 ? * *"],
    ["7 for Sunday", "0 0 * * 7"],
    ["a macro", "@daily"],
    ["a hashed value", "H * * * *"],
    ["minute 60", "60 * * * *"],
    ["a step of 0", "*/0 * * * *"],
    ["a step past the field's span", "*/60 * * * *"],
    ["a leading space", " * * * * *"],
    ["a list after a star", "*,5 * * * *"],
  ])("refuses %s", (_what, expression) => {
    expect(() => parseCronExpression(expression)).toThrow(CronExpressionError);
  });

  it("takes tabs between fields and any case in names", () => {
    expect(() => parseCronExpression("0\t0 * jan sun")).not.toThrow();
  });

  it("tells schedules that can never run from those that can", () => {
    expect(cronCanMatch(parseCronExpression("0 0 30 2 *"))).toBe(false);
    expect(cronCanMatch(parseCronExpression("0 0 31 4,6,9,11 *"))).toBe(false);
    expect(cronCanMatch(parseCronExpression("0 0 29 2 *"))).toBe(true);
    // With a day of week the day of month is only one of two ways to run.
    expect(cronCanMatch(parseCronExpression("0 0 30 2 1"))).toBe(true);
  });

  it("refuses a push whose crons.ts has an expression Convex cannot read or that never runs", () => {
    const maps = { position: () => null, sourceIndex: () => null } as unknown as SourceMaps;
    const crons = (schedule: Record<string, unknown>) => ({
      default: {
        isCrons: true,
        export: () => JSON.stringify({ nightly: { name: "jobs:run", args: [{}], schedule } }),
      },
    });
    expect(() => analyzeModule("crons.js", crons({ type: "cron", cron: "0 0 * * * *" }), maps)).toThrow(
      new PushError("InvalidCron", 'Cron "nightly": Failed to parse cron expression "0 0 * * * *"'),
    );
    expect(() => analyzeModule("crons.js", crons({ type: "cron", cron: "0 0 30 2 *" }), maps)).toThrow(
      'Cron "nightly": The cron spec "0 0 30 2 *" will never match any time',
    );
    const accepted = analyzeModule("crons.js", crons({ type: "cron", cron: "0 22-2 * * FRI-MON" }), maps);
    expect(accepted.cronSpecs?.[0]?.spec.cronSchedule).toEqual({ type: "cron", cronExpr: "0 22-2 * * FRI-MON" });
  });
});

describe("crons.ts schedules", () => {
  it("runs monthly jobs only in months that have the day", () => {
    const month31: CronSchedule = { type: "monthly", day: 31, hourUTC: 23, minuteUTC: 59 };
    expect(runsOf(month31, null, "2024-04-01T00:00:00Z")).toBe("2024-05-31T23:59:00.000Z");
    // Right after January's run: February has no 31st.
    expect(runsOf(month31, null, "2024-01-31T23:59:00Z")).toBe("2024-03-31T23:59:00.000Z");
    const month29: CronSchedule = { type: "monthly", day: 29, hourUTC: 0 };
    expect(runsOf(month29, null, "2023-02-01T00:00:00Z")).toBe("2023-03-29T00:00:00.000Z");
    expect(runsOf(month29, null, "2024-02-01T00:00:00Z")).toBe("2024-02-29T00:00:00.000Z");
  });

  it("runs hourly, daily and weekly jobs at their UTC minute (minute 0 when none is given)", () => {
    expect(runsOf({ type: "hourly" }, null, "2024-06-05T10:20:00Z")).toBe("2024-06-05T11:00:00.000Z");
    expect(runsOf({ type: "hourly", minuteUTC: 30 }, null, "2024-06-05T10:20:00Z")).toBe("2024-06-05T10:30:00.000Z");
    expect(runsOf({ type: "daily", hourUTC: 3, minuteUTC: 15 }, null, "2024-06-05T10:20:00Z")).toBe(
      "2024-06-06T03:15:00.000Z",
    );
    expect(runsOf({ type: "weekly", dayOfWeek: "monday", hourUTC: 9 }, null, "2024-06-05T10:20:00Z")).toBe(
      "2024-06-10T09:00:00.000Z",
    );
  });

  it("runs interval jobs when deployed, then every interval, skipping runs already missed", () => {
    const every10m: CronSchedule = { type: "interval", minutes: 10 };
    expect(runsOf(every10m, null, "2024-06-05T10:20:00Z")).toBe("2024-06-05T10:20:00.000Z");
    expect(runsOf(every10m, "2024-06-05T10:20:00Z", "2024-06-05T10:20:01Z")).toBe("2024-06-05T10:30:00.000Z");
    expect(runsOf(every10m, "2024-06-05T10:20:00Z", "2024-06-05T10:55:00Z")).toBe("2024-06-05T11:00:00.000Z");
  });
});

type Job = {
  _id: string;
  name: string;
  scheduledTime: number;
  completedTime?: number;
  state: { kind: string; error?: string };
};
type Run = { note: string; job?: string };
const later = makeFunctionReference<"mutation", { note: string; delayMs: number; run?: "fail" | "action" }, string>(
  "schedules:later",
);
const cancel = makeFunctionReference<"mutation", { id: string }, null>("schedules:cancel");
const jobs = makeFunctionReference<"query", Record<string, never>, Job[]>("schedules:jobs");
const runs = makeFunctionReference<"query", Record<string, never>, Run[]>("schedules:runs");

type LogEntry = { kind: string; identifier: string; caller?: string; logLines: { messages: string[] }[] };

async function startFixtureServer(options: Pick<OfflineConvexOptions, "clock" | "quiet">) {
  const data = tempDir("convex-local-schedules-");
  const server = await startOfflineConvex({
    convexDir: FIXTURE_DIR,
    dataDir: path.join(data.dir, "convex"),
    port: 0,
    sitePort: 0,
    env: { AUTH_ISSUER_DOMAIN: "https://issuer.invalid" },
    ...options,
  });
  return {
    server,
    client: httpClient(server.url),
    /** Every entry of the function log (`npx convex logs`) so far. */
    logEntries: async () => {
      const response = await fetch(`${server.url}/api/stream_function_logs?cursor=0`, {
        headers: { authorization: `Convex ${server.adminKey}` },
      });
      return ((await response.json()) as { entries: LogEntry[] }).entries;
    },
    close: async () => {
      await server.close();
      data.remove();
    },
  };
}

const loggedText = (entry: LogEntry) => entry.logLines.flatMap((line) => line.messages).join(" ");

describe("scheduled functions", () => {
  let fixture: Awaited<ReturnType<typeof startFixtureServer>>;
  let printed: MockInstance<typeof console.log>;
  let printedErrors: MockInstance<typeof console.error>;
  beforeAll(async () => {
    // The server prints function logs to the console (not quiet): kept here instead.
    printed = vi.spyOn(console, "log").mockImplementation(() => {});
    printedErrors = vi.spyOn(console, "error").mockImplementation(() => {});
    fixture = await startFixtureServer({ quiet: false });
  });
  afterAll(async () => {
    await fixture.close();
    printed.mockRestore();
    printedErrors.mockRestore();
  });

  const jobOf = async (id: string) => (await fixture.client.query(jobs, {})).find((job) => job._id === id);
  const finished = (id: string, what: string) =>
    eventually(async () => {
      const job = await jobOf(id);
      return job !== undefined && job.state.kind !== "pending" && job.state.kind !== "inProgress" ? job : undefined;
    }, what);

  test("a job that succeeded keeps its completedTime, and knows its own id", async () => {
    const before = Date.now();
    const id = await fixture.client.mutation(later, { note: "succeeds", delayMs: 0 });
    const job = await finished(id, "the job's outcome");
    expect(job).toMatchObject({ name: "schedules:record", state: { kind: "success" } });
    expect(job.completedTime).toBeGreaterThanOrEqual(job.scheduledTime);
    expect(job.completedTime).toBeGreaterThanOrEqual(before);
    expect(job.completedTime).toBeLessThanOrEqual(Date.now());
    const run = (await fixture.client.query(runs, {})).find((r) => r.note === "succeeds");
    expect(run?.job).toBe(id);
  });

  test("a job that threw is failed with its error, and a scheduled action goes through inProgress to success", async () => {
    const failing = await fixture.client.mutation(later, { note: "throws", delayMs: 0, run: "fail" });
    const failed = await finished(failing, "the failing job's outcome");
    expect(failed.state.kind).toBe("failed");
    expect(failed.state.error).toContain("Uncaught Error: failed on purpose: throws");
    expect(typeof failed.completedTime).toBe("number");

    const acting = await fixture.client.mutation(later, { note: "from an action", delayMs: 0, run: "action" });
    const acted = await finished(acting, "the action job's outcome");
    expect(acted).toMatchObject({ name: "schedules:recordFromAction", state: { kind: "success" } });
    expect(typeof acted.completedTime).toBe("number");
    // The action's mutation runs within the job's request.
    expect((await fixture.client.query(runs, {})).find((r) => r.note === "from an action")?.job).toBe(acting);
  });

  test("canceling completes a pending job as canceled, and leaves a finished one alone", async () => {
    const pending = await fixture.client.mutation(later, { note: "canceled", delayMs: 60_000 });
    await fixture.client.mutation(cancel, { id: pending });
    const canceled = await jobOf(pending);
    expect(canceled?.state).toEqual({ kind: "canceled" });
    expect(typeof canceled?.completedTime).toBe("number");

    const done = await fixture.client.mutation(later, { note: "done before cancel", delayMs: 0 });
    const succeeded = await finished(done, "the job's outcome");
    await fixture.client.mutation(cancel, { id: done });
    expect(await jobOf(done)).toEqual(succeeded);
  });

  test("a scheduled function's logs carry its own name, not the scheduling function's", async () => {
    const id = await fixture.client.mutation(later, { note: "labelled", delayMs: 0 });
    await finished(id, "the job's outcome");
    const entries = await eventually(async () => {
      const all = await fixture.logEntries();
      return all.some((entry) => entry.kind === "Completion" && loggedText(entry).includes("recording labelled"))
        ? all
        : undefined;
    }, "the scheduled run in the function log");
    const run = entries.find(
      (entry) => entry.kind === "Completion" && loggedText(entry).includes("recording labelled"),
    );
    expect(run).toMatchObject({ identifier: "schedules:record", caller: "Scheduler" });
    const lines = printed.mock.calls.map((call) => call.map(String).join(" "));
    expect(lines).toContain("[CONVEX M(schedules:record)] [LOG] 'recording labelled'");
    expect(lines.filter((line) => line.includes("recording labelled"))).toHaveLength(1);
  });
});

describe("cron jobs on a clock the test moves", () => {
  // Half a minute before New Year 2031 (UTC): `crons.ts` has a "0 0 1 1 *" job and a monthly one on the 31st.
  const clock = new ManualClock(utc("2030-12-31T23:59:30Z"));
  let fixture: Awaited<ReturnType<typeof startFixtureServer>>;
  beforeAll(async () => {
    fixture = await startFixtureServer({ clock, quiet: true });
  });
  afterAll(async () => {
    await fixture.close();
  });

  const notes = async () => (await fixture.client.query(runs, {})).map((run) => run.note);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

  it("names each job's next run in the banner", () => {
    expect(fixture.server.banner).toContain("new year: schedules:cronRun, next 2031-01-01T00:00:00.000Z");
    // 23:59 today is half a minute past.
    expect(fixture.server.banner).toContain("month end: schedules:cronRun, next 2031-01-31T23:59:00.000Z");
  });

  it("runs a cron-expression job at its minute, not before, as a Cron execution of its function", async () => {
    clock.advance(29_000);
    await settle();
    expect(await notes()).toEqual([]);
    clock.advance(1_000);
    await eventually(async () => ((await notes()).includes("new year") ? true : undefined), "the new-year run");
    expect(await notes()).toEqual(["new year"]);
    const entries = await fixture.logEntries();
    const run = entries.find(
      (entry) => entry.kind === "Completion" && loggedText(entry).includes("cron run: new year"),
    );
    expect(run).toMatchObject({ identifier: "schedules:cronRun", caller: "Cron" });
  });

  it("runs a monthly job on the 31st, skipping February", async () => {
    clock.advance(utc("2031-01-31T23:58:59Z") - clock.now());
    await settle();
    expect(await notes()).toEqual(["new year"]);
    clock.advance(1_000);
    await eventually(async () => ((await notes()).includes("month end") ? true : undefined), "January's month-end run");
    clock.advance(utc("2031-03-01T00:00:00Z") - clock.now());
    await settle();
    expect((await notes()).filter((note) => note === "month end")).toHaveLength(1);
    clock.advance(utc("2031-03-31T23:59:00Z") - clock.now());
    await eventually(
      async () => ((await notes()).filter((note) => note === "month end").length === 2 ? true : undefined),
      "March's month-end run",
    );
  });
});
