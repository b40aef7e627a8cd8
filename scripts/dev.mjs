#!/usr/bin/env node
// `npm run dev` (run as `node --import tsx scripts/dev.mjs`, for setup/config.ts): picks connected mode
// when a Convex deployment (CONVEX_DEPLOYMENT, or a self-hosted backend) and Clerk keys are
// configured, and says which mode it chose and why. Ctrl-C stops everything it started.
import { spawn } from "node:child_process";
import path from "node:path";
import nextEnv from "@next/env";
import {
  DEFAULT_OFFLINE_CONVEX_URL,
  DEFAULT_OFFLINE_IDP_URL,
  describeDeployment,
  devModeProblem,
  resolveDevMode,
} from "../setup/config.ts";
import { projectMirror } from "../offline/project-mirror.ts";

nextEnv.loadEnvConfig(process.cwd(), true, { info: () => {}, error: console.error });

// The same rule `npm run doctor` checks (setup/config.ts).
const mode = resolveDevMode(process.env);
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NEXT_IGNORE_INCORRECT_LOCKFILE: "1" };

/** @type {import("node:child_process").ChildProcess[]} */
const children = [];
function run(command, args, options = {}) {
  const child = spawn(command, args, { stdio: "inherit", env, ...options });
  children.push(child);
  child.on("exit", (code) => {
    // One process ending ends the session: a half-running stack is worse than none.
    for (const other of children) if (other !== child) other.kill("SIGTERM");
    process.exitCode = code ?? 0;
  });
  return child;
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const child of children) child.kill("SIGTERM");
  });
}

if (mode.mode === "connected") {
  console.log(
    `dev: connected mode (${describeDeployment(process.env, mode.deployment)} and Clerk keys are set in the environment or .env.local). ` +
      "To run offline instead, remove them from .env.local.",
  );
  // Against a self-hosted backend too: the Convex CLI reads CONVEX_SELF_HOSTED_URL/_ADMIN_KEY itself.
  run("npx", ["convex", "dev"]);
  run("npx", ["next", "dev"]);
} else if (mode.mode === "partial" || mode.mode === "conflict") {
  // Half a configuration, or two, is a mistake worth stopping for: offline mode would quietly ignore it.
  const problem = devModeProblem(mode);
  console.error(`dev: ${problem.message}. Fix: ${problem.fix}; the README's "Going live" has the steps.`);
  process.exitCode = 1;
} else {
  // `--data-dir <dir>` moves the stack's data, and with it the identity provider's API key the app's server reads.
  const args = process.argv.slice(2);
  const dataDirAt = args.findIndex((arg) => arg === "--data-dir" || arg.startsWith("--data-dir="));
  const dataDir = dataDirAt === -1 ? null : (args[dataDirAt].split("=")[1] ?? args[dataDirAt + 1]);
  Object.assign(env, {
    NEXT_PUBLIC_AUTH_MODE: "offline",
    NEXT_PUBLIC_CONVEX_URL: DEFAULT_OFFLINE_CONVEX_URL,
    NEXT_PUBLIC_OFFLINE_IDP_URL: DEFAULT_OFFLINE_IDP_URL,
    ...(dataDir && { OFFLINE_IDP_API_KEY_FILE: path.resolve(dataDir, "idp", "api-key") }),
  });
  console.log(
    "dev: offline mode (no Convex deployment or Clerk keys configured): local identity provider and local Convex backend " +
      "with demo data, pushed to by `npx convex dev` (saving a file under convex/ pushes it again), no accounts needed. " +
      "For your own Convex deployment and Clerk instance, fill in .env.local (see .env.example).",
  );
  // The stack prints the backend's two self-hosted variables once it listens; it creates the demo data after the
  // first push.
  const stack = run("node", ["--import", "tsx", "offline/cli.ts", "--await-push", "--cli-env", ...args], {
    stdio: ["inherit", "pipe", "inherit"],
  });
  let printed = "";
  let cliStarted = false;
  stack.stdout.setEncoding("utf8").on("data", (chunk) => {
    process.stdout.write(chunk);
    if (cliStarted) return;
    printed += chunk;
    const url = /^CONVEX_SELF_HOSTED_URL=(.+)$/m.exec(printed)?.[1];
    const adminKey = /^CONVEX_SELF_HOSTED_ADMIN_KEY=(.+)$/m.exec(printed)?.[1];
    if (url === undefined || adminKey === undefined) return;
    cliStarted = true;
    // The real Convex CLI, pointed at the local backend through its child environment only. It runs in a mirror of
    // the project (symlinks) under the stack's data directory, so the deployment URLs it saves go to a .env.local
    // there, not to the project's own (which decides offline or connected mode).
    const mirror = projectMirror(path.resolve(dataDir ?? ".offline", "convex-cli"));
    run("npx", ["convex", "dev"], {
      cwd: mirror,
      env: { ...env, CONVEX_SELF_HOSTED_URL: url, CONVEX_SELF_HOSTED_ADMIN_KEY: adminKey },
    });
  });
  run("node", ["--import", "tsx", "services/export/src/main.ts"]); // the export service, on the same stack
  run("npx", ["next", "dev"]);
}
