/**
 * `node --import tsx packages/clerk-local/src/cli.ts [options]`: runs the identity provider until
 * Ctrl-C. See --help.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  DEFAULT_DATA_DIR,
  DEFAULT_PORT,
  DEFAULT_WEBHOOK_URL,
  loadOrCreateApiKey,
  loadOrCreateWebhookSecret,
  startIdentityProvider,
  type IdentityProviderConfig,
} from "./index";

const HELP = `offline identity provider — a local stand-in for Clerk; not for production

Usage: node --import tsx packages/clerk-local/src/cli.ts [options]

  --config <module>          a module whose default export is the app's { roles, seed, audience }
                             (without it: Clerk's default roles and an empty directory)
  --port <n>                 port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 = any free port)
  --data-dir <dir>           key, webhook secret and directory (default ${DEFAULT_DATA_DIR})
  --webhook-url <url>        where directory changes are posted (default ${DEFAULT_WEBHOOK_URL})
  --no-webhooks              post nothing; changes stay queued on disk
  --webhook-secret <whsec_…> sign with this secret instead of the one kept in the data dir
                             (or OFFLINE_IDP_WEBHOOK_SECRET)
  --reset                    forget key, secret and directory; seed the directory again
  --print-webhook-secret     print the webhook secret (creating it if needed) and exit
  --print-api-key            print the API key tools send as "Authorization: Bearer …" and exit
  --quiet                    no banner, no log lines
  -h, --help                 this text`;

function fail(message: string): never {
  console.error(`offline idp: ${message}\n\n${HELP}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        config: { type: "string" },
        port: { type: "string" },
        "data-dir": { type: "string" },
        "webhook-url": { type: "string" },
        "no-webhooks": { type: "boolean" },
        "webhook-secret": { type: "string" },
        reset: { type: "boolean" },
        "print-webhook-secret": { type: "boolean" },
        "print-api-key": { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    console.log(HELP);
    return;
  }
  const dataDir = values["data-dir"] ?? DEFAULT_DATA_DIR;
  if (values["print-webhook-secret"]) {
    console.log(loadOrCreateWebhookSecret(path.resolve(dataDir)));
    return;
  }
  if (values["print-api-key"]) {
    console.log(loadOrCreateApiKey(path.resolve(dataDir)));
    return;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, got ${values.port}`);
  if (values["no-webhooks"] && values["webhook-url"]) fail("--no-webhooks and --webhook-url contradict each other");
  const secret = values["webhook-secret"] ?? process.env.OFFLINE_IDP_WEBHOOK_SECRET;
  const config = values.config === undefined ? {} : await loadConfig(values.config);

  const idp = await startIdentityProvider({
    ...config,
    port,
    dataDir,
    webhook: values["no-webhooks"] ? null : { url: values["webhook-url"] ?? DEFAULT_WEBHOOK_URL, secret },
    reset: values.reset,
    quiet: values.quiet,
  });

  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      idp.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`offline idp: could not stop cleanly: ${String(error)}`);
          process.exit(1);
        },
      );
    });
  }
}

/** The app's configuration: the default export of `file` (a path relative to the working directory). */
async function loadConfig(file: string): Promise<IdentityProviderConfig> {
  const loaded = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown };
  const config = loaded.default;
  if (typeof config !== "object" || config === null) {
    fail(`--config ${file} has no default export (expected { roles?, seed?, audience? })`);
  }
  // Only what configures the app's side: the command line decides ports, data and webhooks.
  const { roles, seed, audience } = config as IdentityProviderConfig;
  return { roles, seed, audience };
}

main().catch((error: unknown) => {
  console.error(`offline idp: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
