/**
 * The identity provider: a local stand-in for Clerk that issues Clerk-shaped session tokens for a
 * directory of users and organizations, and sends every directory change to the backend as the
 * svix-signed Clerk webhook Clerk would send. Loopback only; not for production. Its API wants the
 * key kept in its data directory for anything that changes state or mints a token, and refuses
 * browsers: pages go through the app's own server (`./next`).
 */
import { rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { apiKeyPath, loadOrCreateApiKey } from "./api-key";
import { Directory } from "./directory";
import { privateDir } from "./files";
import { createHandler } from "./http";
import { newId } from "./ids";
import { Roles, type RolePermissions } from "./roles";
import { EMPTY_SEED, seedDirectory, type DirectorySeed } from "./seed";
import { DEFAULT_AUDIENCE, Sessions } from "./sessions";
import { loadOrCreateSigningKey } from "./signing-key";
import { Store } from "./state";
import { TokenSettings } from "./token-settings";
import { checkWebhookSecret, loadOrCreateWebhookSecret, webhookSecretPath } from "./webhook-secret";
import { DEFAULT_RETRY, WebhookSender, type RetryPolicy, type WebhookStatus } from "./webhook-sender";

/** Default port, next to the Convex CLI's local 3210 (API) and 3211 (HTTP actions). */
export const DEFAULT_PORT = 3212;
/** Default data directory, relative to the working directory (keep it out of version control). */
export const DEFAULT_DATA_DIR = ".offline/idp";
/**
 * The CLI's default webhook endpoint: the Convex CLI's local HTTP-actions port (3211) and the
 * `/webhooks/clerk` path Convex's Clerk guide uses.
 */
export const DEFAULT_WEBHOOK_URL = "http://127.0.0.1:3211/webhooks/clerk";

/** What an app tells the provider about itself: its roles and permissions, and its demo directory. */
export type IdentityProviderConfig = {
  /**
   * Role → permissions, as the app's Clerk instance is configured (must include `org:admin`).
   * Tokens and membership webhooks carry them. Default: Clerk's `org:admin` and `org:member`, no permissions.
   */
  roles?: RolePermissions;
  /** Users and organizations created on the first start (and after `reset`). Default: none. */
  seed?: DirectorySeed;
  /** The tokens' `aud`. Default `convex` (Clerk's Convex integration). */
  audience?: string;
};

export type IdentityProviderOptions = IdentityProviderConfig & {
  /** Port on 127.0.0.1; 0 picks a free one. Default 3212. */
  port?: number;
  /** Where the key, the webhook secret and the directory live. Default `.offline/idp`. */
  dataDir?: string;
  /**
   * Where directory changes are posted. `secret` defaults to the one kept in `dataDir`. With
   * `null` (the default) changes stay queued on disk until a later start has a URL.
   */
  webhook?: { url: string; secret?: string } | null;
  /**
   * Queue directory changes but send nothing until `webhooks.start()`: for a backend that has no
   * code yet (it is pushed after both start), so the first deliveries do not fail and back off.
   */
  holdWebhooks?: boolean;
  /** Forget the key, the secret and the directory first, and seed the directory again. */
  reset?: boolean;
  /** No banner and no log lines (not even the warning when token settings change). */
  quiet?: boolean;
  /** Webhook retry schedule; defaults to DEFAULT_RETRY. */
  retry?: Partial<RetryPolicy>;
};

/** A running identity provider. */
export type IdentityProvider = {
  /** Base URL and token issuer, e.g. `http://127.0.0.1:3212` (no trailing slash). */
  url: string;
  port: number;
  dataDir: string;
  /** True when the directory was created (and seeded) by this start. */
  fresh: boolean;
  /** The secret webhooks are signed with: configure the backend's CLERK_WEBHOOK_SECRET with it. */
  webhookSecret: string;
  /**
   * What the HTTP API wants as `Authorization: Bearer …` for everything but discovery, keys and
   * restoring normal tokens. Kept in `apiKeyFile` (0600) for the app's server side and tools.
   */
  apiKey: string;
  apiKeyFile: string;
  /** Users, organizations and memberships. */
  directory: Directory;
  /** Sign-in sessions and their tokens. */
  sessions: Sessions;
  /** Deliberately misconfigured tokens (`aud`, organization claims), in memory only; `reset()` restores. */
  tokenSettings: TokenSettings;
  webhooks: {
    status(): WebhookStatus;
    /** Resolves once every queued delivery is delivered or dropped; rejects after `timeoutMs`. */
    idle(timeoutMs?: number): Promise<void>;
    /** Queues `*.created` events for the whole directory (for a backend that lost its data). */
    resync(): number;
    /** Starts sending after `holdWebhooks`; does nothing once sending. */
    start(): void;
  };
  /** Stops the server and the sender; queued deliveries stay on disk for the next start. */
  close(): Promise<void>;
};

/** Starts the identity provider on 127.0.0.1. */
export async function startIdentityProvider(options: IdentityProviderOptions = {}): Promise<IdentityProvider> {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  // Checked before anything is written: a bad table fails the start, not a token later.
  const roles = new Roles(options.roles);
  const seed = options.seed ?? EMPTY_SEED;
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const log = options.quiet ? () => {} : (line: string) => console.log(line);
  // Misconfigured tokens go to stderr: a warning, not progress, and visible when stdout is piped away.
  const warn = options.quiet ? () => {} : (line: string) => console.error(line);
  if (options.reset) {
    // Only the files this module writes: a mistyped --data-dir never loses anything else.
    for (const file of ["state.json", "signing-key.json", "webhook-secret", "api-key"]) {
      rmSync(path.join(dataDir, file), { force: true });
    }
  }
  // Keys, secrets and every user's data: the owner's only, whatever the umask made of it before.
  privateDir(dataDir);
  const key = await loadOrCreateSigningKey(dataDir);
  const apiKey = loadOrCreateApiKey(dataDir);
  const storedSecret = loadOrCreateWebhookSecret(dataDir);
  const target = options.webhook
    ? {
        url: checkWebhookUrl(options.webhook.url),
        secret: options.webhook.secret ? checkWebhookSecret(options.webhook.secret, "webhook.secret") : storedSecret,
      }
    : null;

  let store = Store.load(dataDir);
  const fresh = store === null;
  store ??= Store.create(dataDir, newId("ins"));
  const sender = new WebhookSender(store, target, { ...DEFAULT_RETRY, ...options.retry }, log);
  const directory = new Directory(store, roles, () => sender.wake());
  if (fresh) {
    try {
      seedDirectory(directory, seed);
    } catch (error) {
      // Half a seed would be kept and never completed: the next start must seed afresh.
      rmSync(store.file, { force: true });
      throw error;
    }
  }

  // The issuer is known once the port is: the handler is attached right after listening,
  // before any connection can be read.
  const server = createServer();
  const port = options.port ?? DEFAULT_PORT;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`Port ${port} on 127.0.0.1 is in use: stop what holds it, or pick another port (--port).`)
          : error,
      );
    });
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${actualPort}`;
  // In memory and new on every start: a restart always issues normal tokens.
  const tokenSettings = new TokenSettings(store, warn, audience);
  const sessions = new Sessions(store, key, url, tokenSettings, roles);
  server.on(
    "request",
    createHandler({ issuer: url, key, apiKey, directory, sessions, webhooks: sender, tokenSettings }, log),
  );
  if (options.holdWebhooks !== true) sender.start();

  log(
    [
      "offline identity provider — not for production",
      `  listening  ${url}  (the tokens' issuer: the backend's Clerk issuer domain, e.g. CLERK_JWT_ISSUER_DOMAIN=${url})`,
      `  data       ${dataDir}${fresh && seed.users.length > 0 ? "  (new: directory seeded)" : ""}`,
      `  API key    ${apiKeyPath(dataDir)}  (Authorization: Bearer …; the app's server side reads it)`,
      `  webhooks   ${target ? `→ ${target.url}` : "none configured (changes stay queued)"}; ` +
        (options.webhook?.secret ? "signed with the secret given" : `secret in ${webhookSecretPath(dataDir)}`),
      ...(seed.users.length > 0 ? [`  sign in as ${seed.users.map((u) => u.email_address).join(", ")}`] : []),
    ].join("\n"),
  );

  let closing: Promise<void> | undefined;
  const stop = async () => {
    await sender.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };

  return {
    url,
    port: actualPort,
    dataDir,
    fresh,
    webhookSecret: target?.secret ?? storedSecret,
    apiKey,
    apiKeyFile: apiKeyPath(dataDir),
    directory,
    sessions,
    tokenSettings,
    webhooks: {
      status: () => sender.status(),
      idle: (timeoutMs) => sender.idle(timeoutMs),
      resync: () => directory.resync(),
      start: () => sender.start(),
    },
    close: () => (closing ??= stop()),
  };
}

function checkWebhookUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`webhook.url ${JSON.stringify(value)} is not a URL.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`webhook.url must be http(s), got ${url.protocol}`);
  }
  return url.href;
}
