/**
 * `npm run codegen`: writes `convex/_generated/` as a push to a deployment does, so the committed
 * code is what `npx convex dev` writes. The Convex CLI generates it from the deployment's analysis
 * of the pushed modules; here the deployment is a fresh local backend in a temporary directory,
 * and `npx convex codegen` analyzes the code against it without deploying anything.
 */
import { cp, mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { startOfflineConvex } from "@tenant-workspace/convex-local";
import { runConvexCli, type CliRun } from "@tenant-workspace/convex-local/testing";

const ROOT = path.resolve(import.meta.dirname, "..");
/** Not part of the sources: dependencies, build output, local data. */
const SKIPPED = new Set(["node_modules", ".git", ".next", ".offline", "playwright-report", "test-results", "coverage"]);

/** A copy of the project's sources in a temporary directory, sharing its node_modules. */
export async function copyProject(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "convex-project-"));
  await cp(ROOT, dir, {
    recursive: true,
    filter: (source) => !SKIPPED.has(path.basename(source)) || path.dirname(source) !== ROOT,
  });
  await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/**
 * Deployment variables the project's modules need to load: auth.config.ts refuses to load without
 * an issuer. The value only has to be a URL; nothing is fetched from it.
 */
export const CODEGEN_ENV = { CLERK_JWT_ISSUER_DOMAIN: "https://issuer.codegen.invalid" };

/** Runs `npx convex <args>` in `dir` against a fresh local backend, which is then thrown away. */
export async function againstFreshBackend(dir: string, args: string[]): Promise<CliRun> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "convex-codegen-"));
  try {
    const backend = await startOfflineConvex({ dataDir, port: 0, sitePort: 0, quiet: true, env: CODEGEN_ENV });
    try {
      return await runConvexCli(args, { cwd: dir, backend });
    } finally {
      await backend.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  // The type-check is `npm run typecheck`'s job; codegen only writes the files.
  const run = await againstFreshBackend(ROOT, ["codegen", "--typecheck", "disable"]);
  if (run.code !== 0) {
    console.error(run.output);
    console.error(`npx convex codegen failed against a fresh local backend (exit ${run.code}).`);
    process.exitCode = 1;
    return;
  }
  console.log("convex/_generated written from a local deployment's analysis of convex/.");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
