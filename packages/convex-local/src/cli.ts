#!/usr/bin/env -S node --import tsx
/**
 * `node --import tsx packages/convex-local/src/cli.ts`: the local Convex server for any project, in
 * the foreground. Ctrl-C stops it and writes the data.
 */
import { parseArgs } from "node:util";
import { DEFAULT_DATA_DIR, DEFAULT_PORT, DEFAULT_SITE_PORT, startOfflineConvex } from "./server";

const HELP = `Usage: convex-local [options]
       node --import tsx packages/convex-local/src/cli.ts [options]

Serves a project's Convex functions to the real Convex clients (WebSocket sync, HTTP API, HTTP
actions) on 127.0.0.1, running them on convex-test with the data on disk. For development and
tests only: not a production backend.

Options:
  --convex-dir <dir>     the project's functions (default ./convex)
  --data-dir <dir>       where the database is kept (default ${DEFAULT_DATA_DIR})
  --port <n>             deployment URL: WebSocket sync and HTTP API (default ${DEFAULT_PORT}; 0 picks one)
  --site-port <n>        HTTP actions (default ${DEFAULT_SITE_PORT}; 0 picks one)
  --env NAME=VALUE       a deployment environment variable, as \`npx convex env set\` sets it
                         (repeatable; read before convex/ loads, e.g. the issuer auth.config.ts names)
  --reset                start with an empty database (ids keep counting)
  --quiet                no banner and no function logs
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
      reset: { type: "boolean" },
      quiet: { type: "boolean" },
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
    reset: values.reset,
    quiet: values.quiet,
  });
  console.log(`convex-local ready: CONVEX_URL=${server.url} CONVEX_SITE_URL=${server.siteUrl}`);
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
