/**
 * `npm run doctor`: checks the configuration it can see (.env.local, the environment, flags, the
 * deployment's variables, a sample token, the offline stack) and prints the fix for each problem.
 * The checks are in ./cli.ts and ./checks.ts, testable without any network.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import nextEnv from "@next/env";
import { main } from "./cli";
import { offlineIdpApiKeyFile } from "../config";
import { ENV_LIST_COMMAND, fromEnvList, lastErrorLine } from "./deployment-env";

nextEnv.loadEnvConfig(process.cwd(), true, { info: () => {}, error: console.error });

const ENV_LIST_TIMEOUT_MS = 30_000;

/**
 * The deployment's variables from the Convex CLI, run with the environment the doctor checked (so
 * CONVEX_DEPLOYMENT, or CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY, pick the same
 * deployment). Its stdin is closed and CI=1 is set, so a login or deployment prompt fails instead
 * of waiting; a slow network is cut off after 30 s.
 */
function readDeploymentEnv(
  env: Record<string, string | undefined>,
): Promise<{ vars: Record<string, string> } | { why: string }> {
  const [command, ...args] = ENV_LIST_COMMAND;
  const windows = process.platform === "win32";
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env, CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      // npx is npx.cmd on Windows, which only a shell runs; the arguments are fixed.
      shell: windows,
      // Its own process group, so stopping it stops the Convex CLI that npx started too (npx does
      // not pass a signal on); Ctrl-C no longer reaches the group, so `interrupt` passes it on.
      detached: !windows,
    });
    const stop = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        if (windows || child.pid === undefined) child.kill();
        else process.kill(-child.pid);
      } catch {
        // Already gone.
      }
    };
    const interrupt = () => {
      stop();
      process.exit(130);
    };
    let settled = false;
    const settle = (result: { vars: Record<string, string> } | { why: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      process.off("SIGINT", interrupt);
      resolve(result);
    };
    process.once("SIGINT", interrupt);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      settle({ why: `\`npx convex env list\` timed out after ${ENV_LIST_TIMEOUT_MS / 1000} s` });
      stop();
      // Do not keep the doctor alive for a CLI that ignores the signal.
      child.unref();
      child.stdout.destroy();
      child.stderr.destroy();
    }, ENV_LIST_TIMEOUT_MS);
    child.on("error", (error: NodeJS.ErrnoException) => {
      settle({ why: error.code === "ENOENT" ? "npx not found" : `npx could not start (${error.message})` });
    });
    child.on("close", (code, signal) => {
      if (code === 0) return settle(fromEnvList(stdout));
      const reason = lastErrorLine(stderr);
      const status = code === null ? `was stopped (${signal})` : `exited with code ${code}`;
      settle({ why: `\`npx convex env list\` ${status}${reason === null ? "" : `: ${reason}`}` });
    });
  });
}

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  fetch: globalThis.fetch,
  readAuthConfig: () => readFile(path.join(process.cwd(), "convex", "auth.config.ts"), "utf8").catch(() => null),
  readDeploymentEnv,
  offlineApiKey: () => {
    try {
      return readFileSync(path.resolve(offlineIdpApiKeyFile(process.env)), "utf8").trim();
    } catch {
      return null;
    }
  },
  nowSeconds: Math.floor(Date.now() / 1000),
  print: (line) => console.log(line),
});
