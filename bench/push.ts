/**
 * Pushing code with the real Convex CLI to the local backend: a cold push of this project into a
 * fresh backend, warm pushes with one file changed, each split into the CLI's own time (bundling,
 * generating code, requests) and the backend's (start_push → finish_push); then, under
 * `convex dev`, the time from saving a function's file to a subscribed client receiving the new
 * result (on the small test project of packages/convex-local, whose query needs no sign-in).
 */
import { appendFile, cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { anyApi } from "convex/server";
import { startOfflineConvex, type OfflineConvexServer } from "@tenant-workspace/convex-local";
import { runConvexCli, simpleClient, spawnConvexCli } from "@tenant-workspace/convex-local/testing";
import { CODEGEN_ENV, copyProject } from "../scripts/codegen";
import { percentile } from "./stack";

const WARM_PUSHES = 10;
const SAVES = 10;
const ROOT = path.resolve(import.meta.dirname, "..");
const CLI_PROJECT = path.join(ROOT, "packages/convex-local/test/cli-project");

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const ms = (value: number) => value.toFixed(0).padStart(6);

async function backend(dataDir: string, env: Record<string, string> = {}): Promise<OfflineConvexServer> {
  return await startOfflineConvex({ dataDir, port: 0, sitePort: 0, quiet: true, env });
}

/** One `npx convex deploy`: wall time of the CLI process, and the backend's share. */
type Push = { total: number; backend: number; startPush: number; finishPush: number };

async function timedPush(dir: string, server: OfflineConvexServer): Promise<Push> {
  const started = performance.now();
  const run = await runConvexCli(["deploy", "--typecheck", "disable"], { cwd: dir, backend: server });
  const total = performance.now() - started;
  if (run.code !== 0) throw new Error(`npx convex deploy failed:\n${run.output}`);
  const timings = server.lastPush();
  if (timings === null) throw new Error("The backend recorded no push");
  return { total, backend: timings.total, startPush: timings.startPush, finishPush: timings.finishPush };
}

async function benchPushes(work: string): Promise<void> {
  const dir = await copyProject();
  const server = await backend(path.join(work, "app-backend"), CODEGEN_ENV);
  try {
    console.log(
      `this project's convex/ with npx convex deploy --typecheck disable (warm: ${WARM_PUSHES} pushes, one file changed each)`,
    );
    console.log(
      "push              CLI ms  backend ms  total ms  (backend = start_push → finish_push; of it, in start_push / finish_push)",
    );
    const row = (push: Push) =>
      `${ms(push.total - push.backend)}      ${ms(push.backend)}    ${ms(push.total)}  (${push.startPush.toFixed(0)} / ${push.finishPush.toFixed(0)})`;
    const cold = await timedPush(dir, server);
    console.log(`cold (fresh)    ${row(cold)}`);
    const warm: Push[] = [];
    for (let i = 0; i < WARM_PUSHES; i += 1) {
      await appendFile(path.join(dir, "convex/projects.ts"), `\nexport const benchEdit${i} = ${i};\n`);
      warm.push(await timedPush(dir, server));
    }
    const medianPush = (key: keyof Push) => median(warm.map((push) => push[key]));
    const cli = median(warm.map((push) => push.total - push.backend));
    console.log(
      `warm (median)   ${ms(cli)}      ${ms(medianPush("backend"))}    ${ms(medianPush("total"))}  ` +
        `(${medianPush("startPush").toFixed(0)} / ${medianPush("finishPush").toFixed(0)})`,
    );
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchSaveToClient(work: string): Promise<void> {
  const dir = path.join(work, "cli-project");
  await cp(CLI_PROJECT, dir, { recursive: true });
  await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  const server = await backend(path.join(work, "cli-backend"), { NOTES_ISSUER: "https://issuer.invalid" });
  const dev = spawnConvexCli(["dev", "--typecheck", "disable"], { cwd: dir, backend: server });
  const { client } = simpleClient(server.url);
  try {
    let latest: string | undefined;
    let waiting: { expected: string; resolve: () => void } | null = null;
    client.onUpdate(
      anyApi.notes!.greeting!,
      { name: "Ada" },
      (value: string) => {
        latest = value;
        if (waiting !== null && value === waiting.expected) waiting.resolve();
      },
      // Until the first push the function does not exist; the subscription stays and gets it then.
      () => {},
    );
    const until = (expected: string) =>
      new Promise<void>((resolve, reject) => {
        if (latest === expected) return resolve();
        const timer = setTimeout(() => reject(new Error(`no "${expected}" after 60 s:\n${dev.output()}`)), 60_000);
        waiting = { expected, resolve: () => (clearTimeout(timer), resolve()) };
      });
    await until("Hello, Ada!");
    const file = path.join(dir, "convex/notes.ts");
    const source = await readFile(file, "utf8");
    const samples: number[] = [];
    for (let i = 1; i <= SAVES; i += 1) {
      const started = performance.now();
      await writeFile(file, source.replace("`Hello, ${name}!`", `\`Hello ${i}, \${name}!\``));
      await until(`Hello ${i}, Ada!`);
      samples.push(performance.now() - started);
    }
    const sorted = [...samples].sort((a, b) => a - b);
    console.log(`\nsave → new result at a subscribed client under npx convex dev (${SAVES} saves)`);
    console.log(
      `median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms`,
    );
  } finally {
    await client.close();
    dev.child.kill("SIGTERM");
    await dev.done;
    await server.close();
  }
}

export async function benchPush(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), "bench-push-"));
  try {
    await benchPushes(work);
    await benchSaveToClient(work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
