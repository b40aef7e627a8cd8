/** The deployment's modules read from disk, plus the benchmark's probe (which is never deployed). */
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { TestConvex } from "convex-test";
import { makeFunctionReference, type GenericSchema, type SchemaDefinition } from "convex/server";
import { convexModules } from "@tenant-workspace/convex-local";

export type Metrics = { documentsRead: number; bytesRead: number; databaseQueries: number };

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export const modules = {
  ...convexModules(path.join(root, "convex")),
  "./benchProbe.ts": () => import("./probe"),
};

export const measureQuery = makeFunctionReference<"query", { name: string; args: Record<string, unknown> }, Metrics>(
  "benchProbe:measure",
);
export const measureMutation = makeFunctionReference<
  "mutation",
  { name: string; args: Record<string, unknown> },
  Metrics
>("benchProbe:measureMutation");

const require = createRequire(import.meta.url);

/**
 * Registers the work pool (`app.use(workpool)` in convex.config.ts, and the batch worker it runs its
 * loop on) on a convex-test backend from the packages' built component code: their `/test` helpers,
 * which tests/convex/setup.ts uses, need Vite's `import.meta.glob`.
 */
export async function registerWorkpool<Schema extends SchemaDefinition<GenericSchema, boolean>>(
  t: TestConvex<Schema>,
): Promise<void> {
  for (const [pkg, name] of [
    ["@convex-dev/batch-worker", "workpool/batchWorker"],
    ["@convex-dev/workpool", "workpool"],
  ] as const) {
    const dir = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "dist", "component");
    const schema = (await import(pathToFileURL(path.join(dir, "schema.js")).href)) as {
      default: SchemaDefinition<GenericSchema, boolean>;
    };
    t.registerComponent(name, schema.default, convexModules(dir));
  }
}
