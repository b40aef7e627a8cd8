/**
 * Data migrations, run with Convex's migrations component (`components.migrations`), which runs
 * them in batches in the background, records how far each got, and resumes or skips what is done.
 * Run every one of them, in order, after deploying:
 *
 *   npx convex run migrations:runAll           # add --prod for the production deployment
 *   npx convex run --component migrations lib:getStatus --watch
 */
import { Migrations } from "@convex-dev/migrations";
import { components, internal } from "./_generated/api";
import type { DataModel } from "./_generated/dataModel";
import { internalMutation } from "./functions";
import { migrateRetiredOrgCounter, migrateRetiredTaskCounter } from "./model/counters";

const migrations = new Migrations<DataModel>(components.migrations, { internalMutation });

/** Moves the task counts kept in single `taskCounters` documents into the sharded counter. */
export const taskCountersToShardedCounter = migrations.define({
  table: "taskCounters",
  migrateOne: migrateRetiredTaskCounter,
});

/** Moves the member and project counts kept in single `orgCounters` documents into the sharded counter. */
export const orgCountersToShardedCounter = migrations.define({
  table: "orgCounters",
  migrateOne: migrateRetiredOrgCounter,
});

/** Every migration, in order; one already done is skipped, one cut short resumes where it stopped. */
export const runAll = migrations.runner([
  internal.migrations.taskCountersToShardedCounter,
  internal.migrations.orgCountersToShardedCounter,
]);
