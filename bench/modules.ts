/** The deployment's modules read from disk, plus the benchmark's probe (which is never deployed). */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { makeFunctionReference, type GenericSchema, type SchemaDefinition } from "convex/server";
import { convexTest } from "convex-test";
import { convexModules } from "@tenant-workspace/convex-local";
import schema from "../convex/schema";

export type Metrics = { documentsRead: number; bytesRead: number; databaseQueries: number };

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export const modules = {
  ...convexModules(path.join(root, "convex")),
  "./benchProbe.ts": () => import("./probe"),
};

export const measureQuery = makeFunctionReference<"query", { name: string; args: Record<string, unknown> }, Metrics>(
  "benchProbe:measure",
);
export const rolledBackMutation = makeFunctionReference<
  "mutation",
  { name: string; args: Record<string, unknown> },
  null
>("benchProbe:rolledBack");
export const measureMutation = makeFunctionReference<
  "mutation",
  { name: string; args: Record<string, unknown> },
  Metrics
>("benchProbe:measureMutation");

/**
 * Convex's components under the names convex/convex.config.ts gives them, and the batch worker the
 * rate limiter, the work pool and presence each install under themselves.
 */
const COMPONENTS = {
  rateLimiter: "@convex-dev/rate-limiter",
  "rateLimiter/batchWorker": "@convex-dev/batch-worker",
  shardedCounter: "@convex-dev/sharded-counter",
  workpool: "@convex-dev/workpool",
  "workpool/batchWorker": "@convex-dev/batch-worker",
  migrations: "@convex-dev/migrations",
  presence: "@convex-dev/presence",
  "presence/batchWorker": "@convex-dev/batch-worker",
};

/** Each component's schema, by the name convex/convex.config.ts gives it. */
export async function componentSchemas(): Promise<Record<string, SchemaDefinition<GenericSchema, boolean>>> {
  const schemas: Record<string, SchemaDefinition<GenericSchema, boolean>> = {};
  for (const [name, pkg] of Object.entries(COMPONENTS)) {
    const loaded = (await import(pathToFileURL(path.join(componentDir(pkg), "schema.js")).href)) as {
      default: SchemaDefinition<GenericSchema, boolean>;
    };
    schemas[name] = loaded.default;
  }
  return schemas;
}

function componentDir(pkg: string): string {
  return path.join(root, "node_modules", pkg, "dist", "component");
}

/**
 * A convex-test backend with the project's schema, the given modules (the deployment's by default)
 * and its components, loaded from their packages' built code: their `/test` entry points need Vite.
 * Every module is imported first: a first import inside a function sets a timer, which a query or
 * mutation may not.
 */
export async function newBenchBackend(
  options: { modules?: Record<string, () => Promise<unknown>>; transactionLimits?: true } = {},
) {
  const appModules = options.modules ?? modules;
  const t = convexTest({ schema, modules: appModules, transactionLimits: options.transactionLimits });
  const schemas = await componentSchemas();
  await Promise.all(Object.values(appModules).map((load) => load()));
  for (const [name, pkg] of Object.entries(COMPONENTS)) {
    const componentModules = convexModules(componentDir(pkg));
    await Promise.all(Object.values(componentModules).map((load) => load()));
    t.registerComponent(name, schemas[name]!, componentModules);
  }
  return t;
}
