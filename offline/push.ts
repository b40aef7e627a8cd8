/**
 * Pushes this project to the offline stack's Convex backend with the real Convex CLI, as to any
 * self-hosted deployment: `npx convex deploy` with the backend's URL and admin key in the child's
 * environment only.
 */
import path from "node:path";
import type { OfflineConvexServer } from "@tenant-workspace/convex-local";
import { runConvexCli } from "@tenant-workspace/convex-local/testing";

/** The project root: where package.json and convex/ are. */
export const PROJECT_DIR = path.resolve(import.meta.dirname, "..");

/**
 * `npx convex deploy` of this project to `convex`. The committed convex/_generated is already what a
 * push writes (`npm run codegen`) and `npm run typecheck` checks the code, so the push skips both.
 * Throws with the CLI's output when the push fails.
 */
export async function pushProject(convex: OfflineConvexServer): Promise<void> {
  const run = await runConvexCli(["deploy", "--typecheck", "disable", "--codegen", "disable"], {
    cwd: PROJECT_DIR,
    backend: convex,
  });
  if (run.code !== 0) {
    throw new Error(`npx convex deploy to the local backend failed (exit ${run.code}):\n${run.output.trim()}`);
  }
}
