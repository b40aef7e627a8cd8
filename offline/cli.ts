/**
 * `node --import tsx offline/cli.ts`: the offline stack (local identity provider + offline Convex
 * server) in the foreground. `npm run dev` starts it for you; run it alone to use the stack from
 * another app, a script or a test. Ctrl-C stops it and writes the data.
 */
import { parseArgs } from "node:util";
import { DEFAULT_DATA_DIR, startOfflineStack } from "./stack";

const HELP = `Usage: node --import tsx offline/cli.ts [options]

Starts the offline stack: a local identity provider standing in for Clerk, and a Convex-protocol
server running this project's convex/ functions. For development and tests only.

Options:
  --reset            forget the database and the directory, seed the demo data again
  --data-dir <dir>   where data lives (default ${DEFAULT_DATA_DIR})
  --port <n>         Convex API and WebSocket sync (default 3210)
  --site-port <n>    HTTP actions (default 3211)
  --idp-port <n>     identity provider (default 3212)
  --no-seed          do not create demo projects and tasks in a new database
  --push             push convex/ with the Convex CLI (npx convex deploy) instead of loading it from disk
  --await-push       wait for someone else's push (npx convex dev) before creating the demo data
  --cli-env          print only CONVEX_SELF_HOSTED_URL=… and CONVEX_SELF_HOSTED_ADMIN_KEY=… (for the
                     Convex CLI) once ready, or, with --await-push, once the backend listens
  --quiet            no banners and no function logs
  -h, --help         this text`;

function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`--${name} must be a port number (0-65535), got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      reset: { type: "boolean" },
      "data-dir": { type: "string" },
      port: { type: "string" },
      "site-port": { type: "string" },
      "idp-port": { type: "string" },
      "no-seed": { type: "boolean" },
      push: { type: "boolean" },
      "await-push": { type: "boolean" },
      "cli-env": { type: "boolean" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

try {
  const stack = await startOfflineStack({
    dataDir: values["data-dir"],
    convexPort: port(values.port, "port"),
    sitePort: port(values["site-port"], "site-port"),
    idpPort: port(values["idp-port"], "idp-port"),
    reset: values.reset,
    seed: !values["no-seed"],
    quiet: values.quiet,
    code: values["await-push"] ? "external" : values.push ? "push" : "directory",
  });
  if (values["cli-env"]) {
    console.log(`CONVEX_SELF_HOSTED_URL=${stack.convex.url}`);
    console.log(`CONVEX_SELF_HOSTED_ADMIN_KEY=${stack.convex.adminKey}`);
  }
  stack.ready.then(
    () => {
      if (values["cli-env"]) return;
      console.log(
        `offline stack ready: NEXT_PUBLIC_CONVEX_URL=${stack.appEnv.NEXT_PUBLIC_CONVEX_URL} ` +
          `OFFLINE_IDP_API_KEY_FILE=${stack.appEnv.OFFLINE_IDP_API_KEY_FILE}`,
      );
    },
    (error: unknown) => {
      console.error(`offline stack: the demo data was not created: ${(error as Error).message}`);
    },
  );
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      void stack.close().then(() => process.exit(0));
    });
  }
} catch (error) {
  console.error(`offline stack did not start: ${(error as Error).message}`);
  process.exit(1);
}
