/**
 * Type-checks the project against the `convex/_generated` that the Convex CLI writes when it pushes
 * to a deployment, which differs from what `npm run codegen` writes offline:
 * - `_generated/server` comes from the deployment's analysis: `env` becomes a typed `Env` holding
 *   only `CONVEX_CLOUD_URL`, `CONVEX_SITE_URL` and the variables declared in `convex.config.ts`;
 * - `_generated/api.d.ts` gains a `components` export.
 * The CLI type-checks `convex/` against that before it finishes a push and stops on any error, so
 * code that only passes against the offline codegen never deploys. This runs the same check on a
 * copy of the project, leaving the working tree alone.
 *
 * `server.{js,d.ts}` come from the CLI's own template (`serverCodegen`, with no declared variables, as
 * for an app without `convex.config.ts` env declarations). The `components` export is the block the
 * CLI's `componentApiDTS` appends for an app without child components; that module itself cannot be
 * loaded outside the CLI's bundle (it needs zod, which only the bundle carries).
 */
import { spawnSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

type ServerCodegen = (options: { useTypeScript: boolean; envVars: [] }) => { JS?: string; DTS?: string };

const ROOT = path.resolve(import.meta.dirname, "..");
/** Not part of the sources tsc reads: dependencies, build output, local data. */
const SKIPPED = new Set(["node_modules", ".git", ".next", ".offline", "playwright-report", "test-results", "coverage"]);

/** The `components` export the CLI appends to `api.d.ts` on a push, for an app with no child components. */
export const DEPLOYMENT_COMPONENTS_DTS = "\nexport declare const components: {};\n";

async function cliServerCodegen(): Promise<ServerCodegen> {
  const template = path.join(ROOT, "node_modules/convex/src/cli/codegen_templates/server.ts");
  const templates = (await import(pathToFileURL(template).href)) as { serverCodegen: ServerCodegen };
  return templates.serverCodegen;
}

/**
 * Rewrites `<dir>/convex/_generated` the way a push to a deployment does: typed `env` in
 * `server.{js,d.ts}` and the `components` export in `api.d.ts`.
 */
export async function writeDeploymentCodegen(dir: string): Promise<void> {
  const generated = path.join(dir, "convex/_generated");
  const serverCodegen = await cliServerCodegen();
  const server = serverCodegen({ useTypeScript: false, envVars: [] });
  if (server.JS === undefined || server.DTS === undefined) {
    throw new Error("The Convex CLI's serverCodegen returned no JS/DTS: its template changed; update this script.");
  }
  await writeFile(path.join(generated, "server.js"), server.JS);
  await writeFile(path.join(generated, "server.d.ts"), server.DTS);
  const api = await readFile(path.join(generated, "api.d.ts"), "utf8");
  if (!api.includes("export declare const components")) {
    await writeFile(path.join(generated, "api.d.ts"), api + DEPLOYMENT_COMPONENTS_DTS);
  }
}

/** A copy of the project's sources in a temporary directory, sharing its node_modules. */
export async function copyProject(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "deployment-codegen-"));
  await cp(ROOT, dir, {
    recursive: true,
    filter: (source) => !SKIPPED.has(path.basename(source)) || path.dirname(source) !== ROOT,
  });
  await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

export type TscResult = { project: string; ok: boolean; output: string };

/** `tsc --noEmit --project <project>` in `dir`, as the CLI runs it for `convex/`. */
export function tsc(dir: string, project: string): TscResult {
  const compiler = path.join(ROOT, "node_modules/typescript/bin/tsc");
  const run = spawnSync(process.execPath, [compiler, "--noEmit", "--incremental", "false", "--project", project], {
    cwd: dir,
    encoding: "utf8",
  });
  return { project, ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}

/** Copies the project, writes a deployment's codegen into the copy, and type-checks the given projects. */
export async function typecheckAgainstDeploymentCodegen(projects: string[]): Promise<TscResult[]> {
  const dir = await copyProject();
  try {
    await writeDeploymentCodegen(dir);
    return projects.map((project) => tsc(dir, project));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  const results = await typecheckAgainstDeploymentCodegen(["convex", "."]);
  for (const result of results) {
    const name = result.project === "convex" ? "convex/ (the check a push runs)" : "the app";
    if (result.ok) {
      console.log(`✓ ${name} type-checks against a deployment's convex/_generated`);
    } else {
      console.error(`✖ ${name} does not type-check against a deployment's convex/_generated:\n${result.output}`);
      process.exitCode = 1;
    }
  }
  if (process.exitCode === 1) {
    console.error(
      "\n`npx convex dev` / `npx convex deploy` would stop at this type-check and deploy nothing. " +
        "Read deployment variables with process.env rather than `env` from _generated/server.",
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
