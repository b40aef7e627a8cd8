/**
 * Helpers for tests that drive a local backend with the `convex` package's real clients over `ws`:
 * for this package's own tests and for a project testing its functions on the local backend.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { ConvexClient } from "convex/browser";
import WebSocket from "ws";

export { ManualClock, type SchedulerClock } from "./scheduler";

/** A client logger that keeps the lines (function logs, auth failures) for assertions. */
export function recordingLogger() {
  const lines: string[] = [];
  const record = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  return { lines, logger: { log: record, warn: record, error: record, logVerbose: () => {} } };
}

/** A `ConvexClient` as a Node app would use it; `token` is fetched again on every request for one. */
export function simpleClient(
  url: string,
  token?: (forceRefresh: boolean) => Promise<string | null>,
  onAuthChange?: (authenticated: boolean) => void,
) {
  const { lines, logger } = recordingLogger();
  const client = new ConvexClient(url, {
    webSocketConstructor: WebSocket as never,
    logger,
    unsavedChangesWarning: false,
  });
  if (token) client.setAuth(({ forceRefreshToken }) => token(forceRefreshToken), onAuthChange);
  return { client, logs: lines };
}

/** Polls `check` until it returns something other than undefined/false. */
export async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Records every value a subscription delivers. */
export function watch<T>(subscribe: (onValue: (value: T) => void, onError: (error: Error) => void) => () => void) {
  const values: T[] = [];
  const errors: Error[] = [];
  const unsubscribe = subscribe(
    (value) => values.push(value),
    (error) => errors.push(error),
  );
  return {
    values,
    errors,
    unsubscribe,
    latest: () => values[values.length - 1],
    /** Resolves with the first value (from now on, or already seen) that satisfies `test`. */
    until: (test: (value: T) => boolean, what: string, timeoutMs?: number) =>
      eventually(() => values.find(test), what, timeoutMs),
  };
}

/** The `convex` CLI of the installed `convex` package (`npx convex`). */
export function convexCliPath(): string {
  return path.join(path.dirname(createRequire(import.meta.url).resolve("convex/package.json")), "bin/main.js");
}

/**
 * The environment a Convex CLI child process needs to use a local backend as a self-hosted
 * deployment: the caller's, without any other deployment's settings, plus the two self-hosted
 * variables. `CI=1` keeps the CLI from prompting and from reaching its error reporter.
 */
export function selfHostedEnv(backend: { url: string; adminKey: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: "1" };
  for (const name of ["CONVEX_DEPLOYMENT", "CONVEX_DEPLOY_KEY", "CONVEX_URL", "NEXT_PUBLIC_CONVEX_URL"])
    delete env[name];
  return { ...env, CONVEX_SELF_HOSTED_URL: backend.url, CONVEX_SELF_HOSTED_ADMIN_KEY: backend.adminKey };
}

export type CliRun = { code: number | null; stdout: string; stderr: string; output: string };

/** Starts `npx convex <args>` in `cwd` against the backend; `done` settles when it exits. */
export function spawnConvexCli(
  args: string[],
  options: { cwd: string; backend: { url: string; adminKey: string }; env?: Record<string, string> },
): { child: ChildProcess; output: () => string; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [convexCliPath(), ...args], {
    cwd: options.cwd,
    env: { ...selfHostedEnv(options.backend), ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, output: stdout + stderr }));
  });
  return { child, output: () => stdout + stderr, done };
}

/** Runs `npx convex <args>` in `cwd` against the backend to its end (killed after `timeoutMs`). */
export async function runConvexCli(
  args: string[],
  options: {
    cwd: string;
    backend: { url: string; adminKey: string };
    env?: Record<string, string>;
    timeoutMs?: number;
  },
): Promise<CliRun> {
  const run = spawnConvexCli(args, options);
  const timer = setTimeout(() => run.child.kill("SIGTERM"), options.timeoutMs ?? 120_000);
  try {
    return await run.done;
  } finally {
    clearTimeout(timer);
  }
}
