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
    `dev: connected mode (Convex deployment ${process.env.CONVEX_DEPLOYMENT} and Clerk keys found in the environment / .env.local). ` +
      "Remove them from .env.local to run offline.",
  );
  run("npx", ["convex", "dev"]);
  run("npx", ["next", "dev"]);
} else {
  console.log(
    `dev: offline mode (not set: ${missing.join(", ")}). ` +
      "Set them in .env.local (see .env.example) to run against your own Convex deployment and Clerk instance.",
  );
  console.log(
    "dev: the offline Convex server and identity provider are not part of this build yet; " +
      "the Next.js app starts alone and the Convex functions run in `npm test`.",
  );
  run("npx", ["next", "dev"]);
}
