#!/usr/bin/env node
// `npm run dev`: picks connected mode when a Convex deployment and Clerk keys are configured,
// and says which mode it chose and why. Ctrl-C stops everything it started.
import { spawn } from "node:child_process";
import nextEnv from "@next/env";

nextEnv.loadEnvConfig(process.cwd(), true, { info: () => {}, error: console.error });

const connectedVars = [
  "CONVEX_DEPLOYMENT",
  "NEXT_PUBLIC_CONVEX_URL",
  "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
  "CLERK_SECRET_KEY",
];
const set = connectedVars.filter((name) => process.env[name]);
const missing = connectedVars.filter((name) => !process.env[name]);
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NEXT_IGNORE_INCORRECT_LOCKFILE: "1" };

/** @type {import("node:child_process").ChildProcess[]} */
const children = [];
function run(command, args) {
  const child = spawn(command, args, { stdio: "inherit", env });
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

if (missing.length === 0) {
  console.log(
    `dev: connected mode (Convex deployment ${process.env.CONVEX_DEPLOYMENT} and Clerk keys are set in the environment or .env.local). ` +
      "To run offline instead, remove them from .env.local.",
  );
  run("npx", ["convex", "dev"]);
  run("npx", ["next", "dev"]);
} else if (set.length > 0) {
  // Half a configuration is a mistake worth stopping for: offline mode would quietly ignore it.
  console.error(
    `dev: ${set.join(", ")} ${set.length === 1 ? "is" : "are"} set but ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not. ` +
      'Set the rest in .env.local (see .env.example and the README\'s "Going live") for connected mode, ' +
      "or remove these to run offline.",
  );
  process.exitCode = 1;
} else {
  const ports = { convex: 3210, site: 3211, idp: 3212 };
  const offline = {
    NEXT_PUBLIC_AUTH_MODE: "offline",
    NEXT_PUBLIC_CONVEX_URL: `http://127.0.0.1:${ports.convex}`,
    NEXT_PUBLIC_OFFLINE_IDP_URL: `http://127.0.0.1:${ports.idp}`,
  };
  Object.assign(env, offline);
  console.log(
    "dev: offline mode (no Convex deployment or Clerk keys configured): local identity provider and offline Convex server " +
      "with demo data, no accounts needed. For your own Convex deployment and Clerk instance, fill in .env.local (see .env.example).",
  );
  run("node", ["--import", "tsx", "offline/cli.ts", ...process.argv.slice(2)]);
  run("npx", ["next", "dev"]);
}
