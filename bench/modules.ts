/** The deployment's modules read from disk, plus the benchmark's probe (which is never deployed). */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeFunctionReference } from "convex/server";
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
