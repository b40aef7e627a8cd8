/**
 * What convex-test's scheduler does not do for a long-running server:
 * - resume the jobs of `_scheduled_functions` that were pending when the server stopped (convex-test
 *   keeps its timers in memory only), and
 * - run the cron jobs of `convex/crons.ts` (convex-test never runs them).
 *
 * Jobs scheduled while the server runs are convex-test's own: it fires them with real timers.
 */
import type { JSONValue, Value } from "convex/values";
import { jsonToConvex } from "convex/values";
import type { Engine } from "./engine";

type JobState = { kind: "pending" | "inProgress" | "success" | "failed" | "canceled" };
type JobDocument = { _id: string; name: string; args: Value[]; scheduledTime: number; state: JobState };

type CronSchedule =
  | { type: "interval"; seconds?: number; minutes?: number; hours?: number }
  | { type: "hourly"; minuteUTC?: number }
  | { type: "daily"; hourUTC: number; minuteUTC?: number }
  | { type: "weekly"; dayOfWeek: string; hourUTC: number; minuteUTC?: number }
  | { type: "monthly"; day: number; hourUTC: number; minuteUTC?: number }
  | { type: "cron"; cron: string };
type CronJob = { name: string; args: JSONValue[]; schedule: CronSchedule };

const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MINUTE = 60_000;
// setTimeout's ceiling; a later run is reached by waking up and waiting again.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export type Log = (line: string) => void;

/** Runs one function as the scheduler does: internal functions allowed, no identity. */
async function runAsScheduler(
  engine: Engine,
  udfPath: string,
  args: Record<string, Value>,
  source: "Scheduler" | "Cron",
): Promise<{ ok: boolean; error?: string }> {
  const info = await engine.resolve(udfPath);
  if (info === null || (info.kind !== "mutation" && info.kind !== "action")) {
    return { ok: false, error: `${udfPath} is not a mutation or action of this project` };
  }
  const call = { udfPath, args, caller: null, publicOnly: false, source };
  const result = info.kind === "mutation" ? await engine.mutation(call) : await engine.action(call);
  return result.ok ? { ok: true } : { ok: false, error: result.errorMessage };
}

/** Timers of one server; `stop()` clears them all. */
export class OfflineScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly cronTimers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly log: Log,
  ) {}

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
        await this.setState(job._id, { kind: "failed" }, true);
        this.log(`scheduler: ${job.name} was running when the server stopped; actions run at most once, marked failed`);
        continue;
      }
      this.at(job.scheduledTime, () => this.runStoredJob(job));
    }
    return jobs.length;
  }

  /**
   * Starts the cron jobs exported by `convex/crons.ts` (stopping those of earlier code); returns
   * one line per job for the banner.
   */
  async startCrons(): Promise<string[]> {
    this.stopCrons();
    const crons = await this.engine.cronJobs();
    const lines: string[] = [];
    for (const [identifier, job] of Object.entries(crons as Record<string, CronJob>)) {
      const next = nextRun(job.schedule, Date.now());
      if (next === null) {
        lines.push(`${identifier}: ${job.schedule.type} schedules are not run by the local server`);
        continue;
      }
      lines.push(`${identifier}: ${job.name}, next ${new Date(next).toISOString()}`);
      const fire = async () => {
        const args = (jsonToConvex(job.args[0] ?? {}) ?? {}) as Record<string, Value>;
        const outcome = await runAsScheduler(this.engine, job.name, args, "Cron");
        if (!outcome.ok) this.log(`cron ${identifier} (${job.name}) failed: ${outcome.error}`);
        const following = nextRun(job.schedule, Date.now() + 1000);
        if (following !== null) this.at(following, fire, this.cronTimers);
      };
      this.at(next, fire, this.cronTimers);
    }
    return lines;
  }

  /** Stops the cron jobs of the current code (scheduled functions keep their timers). */
  stopCrons(): void {
    for (const timer of this.cronTimers) clearTimeout(timer);
    this.cronTimers.clear();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of [...this.timers, ...this.cronTimers]) clearTimeout(timer);
    this.timers.clear();
    this.cronTimers.clear();
  }

  private at(time: number, run: () => Promise<void>, timers = this.timers): void {
    if (this.stopped) return;
    const delay = Math.max(0, time - Date.now());
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (delay > MAX_TIMEOUT_MS) return this.at(time, run, timers);
        run().catch((error: unknown) => this.log(`scheduler: ${(error as Error).message}`));
      },
      Math.min(delay, MAX_TIMEOUT_MS),
    );
    // A dev server waiting only on a cron job should still exit when asked.
    timer.unref();
    timers.add(timer);
  }

  private async runStoredJob(job: JobDocument): Promise<void> {
    const started = await this.engine.transaction(() => {
      const current = this.engine.internals.tx.get("_scheduled_functions", job._id) as JobDocument | null;
      if (current === null || (current.state.kind !== "pending" && current.state.kind !== "inProgress")) return false;
      this.engine.internals.tx.patch("_scheduled_functions", job._id, { state: { kind: "inProgress" } });
      return true;
    });
    if (!started) return;
    const args = (job.args[0] ?? {}) as Record<string, Value>;
    const outcome = await runAsScheduler(this.engine, job.name, args, "Scheduler");
    if (!outcome.ok) this.log(`scheduler: ${job.name} failed: ${outcome.error}`);
    await this.setState(job._id, { kind: outcome.ok ? "success" : "failed" }, !outcome.ok);
  }

  private async setState(id: string, state: JobState, completed: boolean): Promise<void> {
    await this.engine.transaction(() => {
      this.engine.internals.tx.patch("_scheduled_functions", id, {
        state,
        ...(completed || state.kind === "success" ? { completedTime: Date.now() } : {}),
      });
    });
  }
}

/** The next time at or after `from` that `schedule` fires, or null for schedules the local server does not run. */
export function nextRun(schedule: CronSchedule, from: number): number | null {
  const at = (date: Date, hour: number, minute: number) =>
    Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), hour, minute);
  const start = new Date(from);
  switch (schedule.type) {
    case "interval": {
      const ms = ((schedule.hours ?? 0) * 60 + (schedule.minutes ?? 0)) * MINUTE + (schedule.seconds ?? 0) * 1000;
      return ms > 0 ? from + ms : null;
    }
    case "hourly": {
      const minute = schedule.minuteUTC ?? 0;
      const candidate = Date.UTC(
        start.getUTCFullYear(),
        start.getUTCMonth(),
        start.getUTCDate(),
        start.getUTCHours(),
        minute,
      );
      return candidate >= from ? candidate : candidate + 60 * MINUTE;
    }
    case "daily": {
      const candidate = at(start, schedule.hourUTC, schedule.minuteUTC ?? 0);
      return candidate >= from ? candidate : candidate + 24 * 60 * MINUTE;
    }
    case "weekly": {
      const day = DAYS.indexOf(schedule.dayOfWeek.toLowerCase());
      if (day === -1) return null;
      let candidate = at(start, schedule.hourUTC, schedule.minuteUTC ?? 0);
      candidate += ((day - start.getUTCDay() + 7) % 7) * 24 * 60 * MINUTE;
      return candidate >= from ? candidate : candidate + 7 * 24 * 60 * MINUTE;
    }
    default:
      return null;
  }
}
