#!/usr/bin/env -S node --import tsx
/**
 * `node --import tsx packages/convex-local/src/cli.ts`: the local Convex backend, in the
 * foreground. Push a project to it with the Convex CLI (the two variables it prints). Ctrl-C stops
 * it and writes the data.
 */
import { parseArgs } from "node:util";
import { DEFAULT_DATA_DIR, DEFAULT_PORT, DEFAULT_SITE_PORT, startOfflineConvex } from "./server";

const HELP = `Usage: convex-local [options]
       node --import tsx packages/convex-local/src/cli.ts [options]

A local Convex backend for development and tests (not for production): a self-hosted deployment
the Convex CLI pushes to, running the pushed functions on convex-test with the data on disk, and
serving them to the real Convex clients (WebSocket sync, HTTP API, HTTP actions) on 127.0.0.1.

Push a project to it from the project's directory:
  CONVEX_SELF_HOSTED_URL=<url> CONVEX_SELF_HOSTED_ADMIN_KEY=<key> npx convex dev
(both are printed once it serves; the key is kept in <data dir>/admin_key).

Options:
  --data-dir <dir>       database, pushed code, variables and admin key (default ${DEFAULT_DATA_DIR})
  --port <n>             deployment URL: WebSocket sync, HTTP and deployment API (default ${DEFAULT_PORT}; 0 picks one)
  --site-port <n>        HTTP actions (default ${DEFAULT_SITE_PORT}; 0 picks one)
  --env NAME=VALUE       a deployment environment variable, set at every start (repeatable;
                         \`npx convex env set\` sets them too)
  --admin-key <key>      use this admin key instead of the stored one
  --convex-dir <dir>     load this functions directory at start instead of the pushed code
                         (TypeScript needs tsx); pushes replace it until the next start
  --reset                start with an empty database (ids keep counting; code and variables stay)
  --quiet                no banner and no function logs
  --fsync                flush each commit to the disk before acknowledging it (survives a machine
                         crash, not only a killed process; slower)
  -h, --help             this text`;

function fail(message: string): never {
  console.error(`${message}\n\n${HELP}`);
  process.exit(2);
}

function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    fail(`--${name} must be a port number (0-65535), got ${JSON.stringify(value)}`);
  return n;
}

function environment(entries: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries ?? []) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(entry);
    if (match === null) fail(`--env takes NAME=VALUE, got ${JSON.stringify(entry)}`);
    env[match[1]!] = match[2]!;
  }
  return env;
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      "convex-dir": { type: "string" },
      "data-dir": { type: "string" },
      port: { type: "string" },
      "site-port": { type: "string" },
      env: { type: "string", multiple: true },
      "admin-key": { type: "string" },
      reset: { type: "boolean" },
      quiet: { type: "boolean" },
      fsync: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

try {
  const server = await startOfflineConvex({
    convexDir: values["convex-dir"],
    dataDir: values["data-dir"],
    port: port(values.port, "port"),
    sitePort: port(values["site-port"], "site-port"),
    env: environment(values.env),
    adminKey: values["admin-key"],
    reset: values.reset,
    quiet: values.quiet,
    fsync: values.fsync,
  });
  console.log(
    `convex-local ready: CONVEX_URL=${server.url} CONVEX_SITE_URL=${server.siteUrl} ` +
      `CONVEX_SELF_HOSTED_URL=${server.url} CONVEX_SELF_HOSTED_ADMIN_KEY=${server.adminKey}`,
  );
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      void server.close().then(() => process.exit(0));
    });
  }
} catch (error) {
  console.error(`convex-local did not start: ${(error as Error).message}`);
  process.exit(1);
}
