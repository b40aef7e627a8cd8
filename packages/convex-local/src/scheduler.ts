/**
 * Scheduled functions and cron jobs, run as a deployment runs them (convex-backend
 * crates/application/src/scheduled_jobs/mod.rs and cron_jobs/mod.rs,
 * crates/model/src/cron_jobs/next_ts.rs):
 * - every job of `_scheduled_functions` runs here, those a previous run left pending too
 *   (convex-test's own timers, in memory only, are not used);
 * - each run is a function execution of its own: its logs and its function-log entry carry the
 *   scheduled function's name, with caller `Scheduler` or `Cron`;
 * - a finished job keeps `completedTime`; `failed` carries the error, `canceled` is final;
 * - the cron jobs of `convex/crons.ts` run on every schedule, `crons.cron` and `crons.monthly`
 *   included, in UTC. Runs of one job never overlap and runs missed meanwhile are skipped.
 *
 * Time comes from a `SchedulerClock`, so tests can move it instead of waiting.
 */
import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import type { JSONValue, Value } from "convex/values";
import { jsonToConvex } from "convex/values";
import { nextCronTime, parseCronExpression, type CronExpression } from "./cron";
import type { Engine } from "./engine";

type JobState = { kind: "pending" | "inProgress" | "success" | "canceled" } | { kind: "failed"; error: string };
type JobDocument = {
  _id: string;
  name: string;
  args: Value[];
  scheduledTime: number;
  state: JobState;
  completedTime?: number;
};

/** A schedule as `crons.ts` registers it (`Crons.crons[identifier].schedule`). */
export type CronSchedule =
  | { type: "interval"; seconds?: number; minutes?: number; hours?: number }
  | { type: "hourly"; minuteUTC?: number }
  | { type: "daily"; hourUTC: number; minuteUTC?: number }
  | { type: "weekly"; dayOfWeek: string; hourUTC: number; minuteUTC?: number }
  | { type: "monthly"; day: number; hourUTC: number; minuteUTC?: number }
  | { type: "cron"; cron: string };
type CronJob = { name: string; args: JSONValue[]; schedule: CronSchedule };

const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
// setTimeout's ceiling; a later run is reached by waking up and waiting again.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** What a deployment records for an action that was running when it stopped. */
const INTERRUPTED_ACTION = "Transient error while executing action";

export type Log = (line: string) => void;

/** Where the scheduler reads the time and waits for it. */
export type SchedulerClock = {
  now(): number;
  /** Calls `wake` once `now()` has reached `time`; the returned function cancels that. */
  at(time: number, wake: () => void): () => void;
};

/** The machine's clock. */
export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  at(time, wake) {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      const delay = Math.max(0, time - Date.now());
      timer = setTimeout(() => (delay > MAX_TIMEOUT_MS ? arm() : wake()), Math.min(delay, MAX_TIMEOUT_MS));
      // A dev server waiting only on a cron job should still exit when asked.
      timer.unref();
    };
    arm();
    return () => clearTimeout(timer);
  },
};

/** A clock that moves only when told to, for tests of schedules days or months ahead. */
export class ManualClock implements SchedulerClock {
  private current: number;
  private readonly waiting = new Set<{ time: number; wake: () => void }>();

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  at(time: number, wake: () => void): () => void {
    const entry = { time, wake };
    this.waiting.add(entry);
    this.release();
    return () => this.waiting.delete(entry);
  }

  /** Moves the clock `ms` forward; what came due wakes, earliest first, each on a later tick. */
  advance(ms: number): void {
    this.current += ms;
    this.release();
  }

  private release(): void {
    const due = [...this.waiting].filter((entry) => entry.time <= this.current).sort((a, b) => a.time - b.time);
    for (const entry of due) {
      this.waiting.delete(entry);
      setImmediate(entry.wake);
    }
  }
}

/** The plain cron expression the backend turns each clock schedule into (`compute_next_ts`). */
export function scheduleExpression(schedule: Exclude<CronSchedule, { type: "interval" }>): string {
  const minute = "minuteUTC" in schedule ? (schedule.minuteUTC ?? 0) : 0;
  switch (schedule.type) {
    case "hourly":
      return `${minute} * * * *`;
    case "daily":
      return `${minute} ${schedule.hourUTC} * * *`;
    case "weekly": {
      const day = DAYS.indexOf(schedule.dayOfWeek.toLowerCase());
      if (day === -1) throw new Error(`Invalid dayOfWeek ${JSON.stringify(schedule.dayOfWeek)}`);
      return `${minute} ${schedule.hourUTC} * * ${day}`;
    }
    case "monthly":
      return `${minute} ${schedule.hourUTC} ${schedule.day} * *`;
    case "cron":
      return schedule.cron;
  }
}

function intervalMs(schedule: Extract<CronSchedule, { type: "interval" }>): number {
  return ((schedule.hours ?? 0) * 3600 + (schedule.minutes ?? 0) * 60 + (schedule.seconds ?? 0)) * 1000;
}

/**
 * When a cron job runs next, as `compute_next_ts` decides with no splay: an interval job runs when
 * first deployed (`previous` null), then every interval after its previous run, skipping runs
 * already past; a clock schedule runs at its next time strictly after `now`. Null: never.
 */
export function nextRun(schedule: CronSchedule, previous: number | null, now: number): number | null {
  if (schedule.type === "interval") {
    const ms = intervalMs(schedule);
    if (!(ms > 0)) return null;
    if (previous === null) return now;
    const next = previous + ms;
    return next >= now ? next : next + Math.ceil((now - next) / ms) * ms;
  }
  return nextCronTime(parseCronExpression(scheduleExpression(schedule)), now);
}

/** One cron job of the live code. */
type CronRun = {
  identifier: string;
  job: CronJob;
  /** Its schedule as text: a push that keeps it keeps the job's next run. */
  scheduleKey: string;
  /** Parsed once, for clock schedules. */
  expression: CronExpression | null;
  next: number | null;
  cancel: () => void;
};

/** Runs the deployment's scheduled functions and cron jobs for one server; `stop()` ends it all. */
export class OfflineScheduler {
  private readonly jobTimers = new Map<string, () => void>();
  private readonly crons = new Map<string, CronRun>();
  /** Timers start in the server's context, never in that of the function that scheduled them. */
  private readonly scope = new AsyncResource("OfflineScheduler");
  /** The job a run belongs to, for `ctx.meta.getRequestMetadata().scheduledFunctionId`. */
  private readonly runningJob = new AsyncLocalStorage<string>();
  private cronsStarted = false;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly log: Log,
    private readonly clock: SchedulerClock = systemClock,
  ) {
    engine.internals.takeOverScheduler({
      now: () => this.clock.now(),
      onScheduled: (job) => this.scope.runInAsyncScope(() => this.schedule(job.id, job.scheduledTime, false)),
    });
    engine.internals.interceptAsyncSyscall("1.0/getRequestMetadata", async (jsonArgs, next) => {
      const metadata = JSON.parse(await next(jsonArgs)) as Record<string, JSONValue>;
      const job = this.runningJob.getStore();
      return JSON.stringify(job === undefined ? metadata : { ...metadata, scheduledFunctionId: job });
    });
  }

  /**
   * Picks up the jobs a previous run left behind. A job that was running when the server stopped
   * runs again if it is a mutation (its writes never committed, or committed with its state: a
   * mutation is one transaction) and fails if it is an action, as Convex treats actions: at most once.
   */
  async resumeStoredJobs(): Promise<number> {
    const jobs = this.engine.internals
      .committedDocuments("_scheduled_functions")
      .map((doc) => doc as unknown as JobDocument)
      .filter((job) => job.state.kind === "pending" || job.state.kind === "inProgress");
    for (const job of jobs) {
      const info = await this.engine.resolve(job.name);
      if (job.state.kind === "inProgress" && info?.kind === "action") {
        await this.complete(job._id, { kind: "failed", error: INTERRUPTED_ACTION });
        this.log(`scheduler: ${job.name} was running when the server stopped; actions run at most once, marked failed`);
        continue;
      }
      this.schedule(job._id, job.scheduledTime, true);
    }
    return jobs.length;
  }

  /**
   * Starts the cron jobs exported by `convex/crons.ts` after a push (or at start): a job whose
   * schedule is unchanged keeps its next run, a new or changed one starts over as on a deployment.
   * At start no earlier runs are known, so interval jobs wait one interval. Returns one line per
   * job for the banner.
   */
  async startCrons(): Promise<string[]> {
    const jobs = (await this.engine.cronJobs()) as Record<string, CronJob>;
    const atStart = !this.cronsStarted;
    this.cronsStarted = true;
    for (const [identifier, run] of this.crons) {
      if (!(identifier in jobs)) {
        run.cancel();
        this.crons.delete(identifier);
      }
    }
    const now = this.clock.now();
    const lines: string[] = [];
    for (const [identifier, job] of Object.entries(jobs)) {
      const scheduleKey = JSON.stringify(job.schedule);
      let run = this.crons.get(identifier);
      if (run !== undefined && run.scheduleKey === scheduleKey) {
        run.job = job;
      } else {
        run?.cancel();
        let expression: CronExpression | null = null;
        let next: number | null;
        try {
          if (job.schedule.type !== "interval") expression = parseCronExpression(scheduleExpression(job.schedule));
          next = expression === null ? nextRun(job.schedule, atStart ? now : null, now) : nextCronTime(expression, now);
        } catch (error) {
          lines.push(`${identifier}: ${(error as Error).message}; not run`);
          this.crons.delete(identifier);
          continue;
        }
        run = { identifier, job, scheduleKey, expression, next, cancel: () => {} };
        this.crons.set(identifier, run);
        this.armCron(run);
      }
      lines.push(
        `${identifier}: ${job.name}, ${run.next === null ? "never (no time matches)" : `next ${new Date(run.next).toISOString()}`}`,
      );
    }
    return lines;
  }

  /** Stops every timer; runs in progress finish but start nothing new. */
  stop(): void {
    this.stopped = true;
    for (const cancel of this.jobTimers.values()) cancel();
    this.jobTimers.clear();
    for (const run of this.crons.values()) run.cancel();
    this.crons.clear();
  }

  private wakeAt(time: number, run: () => Promise<void>): () => void {
    return this.scope.runInAsyncScope(() =>
      this.clock.at(time, () => {
        if (this.stopped) return;
        run().catch((error: unknown) => this.log(`scheduler: ${(error as Error).message}`));
      }),
    );
  }

  private schedule(id: string, time: number, resumed: boolean): void {
    if (this.stopped || this.jobTimers.has(id)) return;
    this.jobTimers.set(
      id,
      this.wakeAt(time, async () => {
        this.jobTimers.delete(id);
        await this.runJob(id, resumed);
      }),
    );
  }

  /**
   * Runs one job of `_scheduled_functions`. An action is marked `inProgress` first (it runs at
   * most once); a mutation goes from `pending` straight to its outcome.
   */
  private async runJob(id: string, resumed: boolean): Promise<void> {
    const { tx } = this.engine.internals;
    // In a transaction of its own, so it sees the scheduling function's commit (or its rollback).
    const job = await this.engine.transaction(() => {
      const current = tx.get("_scheduled_functions", id) as JobDocument | null;
      const runnable = current?.state.kind === "pending" || (resumed && current?.state.kind === "inProgress");
      return runnable ? current : null;
    });
    if (job === null) return;
    const info = await this.engine.resolve(job.name);
    if (info === null || (info.kind !== "mutation" && info.kind !== "action")) {
      const error =
        info === null
          ? `Could not find function for '${job.name}'. Did you forget to run \`npx convex dev\` or \`npx convex deploy\`?`
          : `Unsupported function type. '${job.name}' is defined as a ${info.kind}. Only mutations and actions can be scheduled.`;
      this.log(`scheduler: ${error}`);
      await this.complete(id, { kind: "failed", error });
      return;
    }
    if (info.kind === "action") {
      const started = await this.engine.transaction(() => {
        const current = tx.get("_scheduled_functions", id) as JobDocument | null;
        if (current?.state.kind !== "pending" && current?.state.kind !== "inProgress") return false;
        tx.patch("_scheduled_functions", id, { state: { kind: "inProgress" } });
        return true;
      });
      if (!started) return;
    }
    const call = {
      udfPath: job.name,
      args: (job.args[0] ?? {}) as Record<string, Value>,
      caller: null,
      publicOnly: false,
      source: "Scheduler" as const,
    };
    const result = await this.runningJob.run(id, () =>
      info.kind === "mutation" ? this.engine.mutation(call) : this.engine.action(call),
    );
    await this.complete(id, result.ok ? { kind: "success" } : { kind: "failed", error: result.errorMessage });
  }

  /** Records a job's outcome, unless it was canceled (or finished) meanwhile. */
  private async complete(id: string, state: JobState): Promise<void> {
    const { tx } = this.engine.internals;
    await this.engine.transaction(() => {
      const current = tx.get("_scheduled_functions", id) as JobDocument | null;
      if (current?.state.kind !== "pending" && current?.state.kind !== "inProgress") return;
      tx.patch("_scheduled_functions", id, { state, completedTime: this.clock.now() });
    });
  }

  private armCron(run: CronRun): void {
    if (run.next === null || this.stopped) return;
    run.cancel = this.wakeAt(run.next, () => this.fireCron(run));
  }

  private async fireCron(run: CronRun): Promise<void> {
    if (this.crons.get(run.identifier) !== run) return;
    const { name, args } = run.job;
    const info = await this.engine.resolve(name);
    if (info === null || (info.kind !== "mutation" && info.kind !== "action")) {
      this.log(`cron ${run.identifier}: ${name} is not a mutation or action of this project`);
    } else {
      const call = {
        udfPath: name,
        args: (jsonToConvex(args[0] ?? {}) ?? {}) as Record<string, Value>,
        caller: null,
        publicOnly: false,
        source: "Cron" as const,
      };
      await (info.kind === "mutation" ? this.engine.mutation(call) : this.engine.action(call));
    }
    // The next run is chosen once this one is over, so runs of one job never overlap.
    if (this.crons.get(run.identifier) !== run) return;
    const previous = run.next;
    run.next =
      run.expression === null
        ? nextRun(run.job.schedule, previous, this.clock.now())
        : nextCronTime(run.expression, this.clock.now());
    this.armCron(run);
  }
}
