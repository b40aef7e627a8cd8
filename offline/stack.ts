/**
 * The offline stack: the local identity provider and the offline Convex server, wired to each
 * other as Clerk and a Convex deployment are in production (issuer domain, webhook endpoint and
 * secret), with demo data on first start. For development and tests only.
 */
import { chmodSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { startOfflineConvex, type OfflineConvexServer } from "@tenant-workspace/convex-local";
import { startIdentityProvider, type IdentityProvider, type RetryPolicy } from "@tenant-workspace/clerk-local";
import { IDENTITY_PROVIDER_CONFIG } from "./demo-directory";
import { pushProject } from "./push";
import { seedDemoData } from "./seed";

export const DEFAULT_DATA_DIR = ".offline";
/** This project's functions. */
const CONVEX_DIR = path.join(import.meta.dirname, "..", "convex");

export type OfflineStackOptions = {
  /** Holds `convex/` and `idp/`. Default `.offline`. */
  dataDir?: string;
  /** 0 picks free ports (tests). Defaults 3210, 3211, 3212. */
  convexPort?: number;
  sitePort?: number;
  idpPort?: number;
  /** Forget both the database and the directory, and seed the demo data again. */
  reset?: boolean;
  quiet?: boolean;
  /** Create demo projects and tasks when the database is new. Default true. */
  seed?: boolean;
  /** Webhook retry schedule (tests shorten it). */
  webhookRetry?: Partial<RetryPolicy>;
  /**
   * How this project's functions reach the backend:
   * - `"push"`: the Convex CLI pushes convex/ (`npx convex deploy`) before the demo data is created;
   * - `"external"`: something else pushes (`npx convex dev` under `npm run dev`); the stack starts
   *   at once and creates the demo data after the first push (`ready` settles then);
   * - `"directory"` (default): loaded from convex/ at start with no CLI, for suites that start
   *   many stacks.
   */
  code?: "push" | "external" | "directory";
};

export type OfflineStack = {
  convex: OfflineConvexServer;
  idp: IdentityProvider;
  /**
   * The variables the Next.js app needs to use this stack: the two URLs, and where its server
   * reads the identity provider's API key (`OFFLINE_IDP_API_KEY_FILE`).
   */
  appEnv: Record<string, string>;
  /** Settles once the functions are in and the demo data is created (at once unless `code: "external"`). */
  ready: Promise<void>;
  close(): Promise<void>;
};

/** A port that was free a moment ago (the issuer URL must be known before the server starts). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startOfflineStack(options: OfflineStackOptions = {}): Promise<OfflineStack> {
  // With `idpPort: 0` the port is picked before it is bound (the issuer must be known first), so
  // another process can take it in between: pick again.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (error) {
      const taken = error instanceof Error && /is in use/.test(error.message);
      if (options.idpPort !== 0 || !taken || attempt === 3) throw error;
    }
  }
}

async function startOnce(options: OfflineStackOptions): Promise<OfflineStack> {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  // Every tenant's data, the signing key and the API key live below: the owner's only.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const idpPort = options.idpPort === 0 ? await freePort() : (options.idpPort ?? 3212);
  const issuer = `http://127.0.0.1:${idpPort}`;

  // The deployment's auth.config.ts reads the issuer when it loads; the webhook secret is read
  // per request, so it is set once the identity provider has it.
  const convex = await startOfflineConvex({
    dataDir: path.join(dataDir, "convex"),
    port: options.convexPort,
    sitePort: options.sitePort,
    reset: options.reset,
    quiet: options.quiet,
    startNotReady: true,
    ...((options.code ?? "directory") === "directory" && { convexDir: CONVEX_DIR }),
    env: { CLERK_JWT_ISSUER_DOMAIN: issuer },
  });
  let idp: IdentityProvider;
  try {
    idp = await startIdentityProvider({
      ...IDENTITY_PROVIDER_CONFIG,
      port: idpPort,
      dataDir: path.join(dataDir, "idp"),
      webhook: { url: `${convex.siteUrl}/webhooks/clerk` },
      // Pushed code arrives after both have started: nothing could receive the directory's events before.
      holdWebhooks: (options.code ?? "directory") !== "directory",
      reset: options.reset,
      quiet: options.quiet,
      ...(options.webhookRetry !== undefined && { retry: options.webhookRetry }),
    });
  } catch (error) {
    await convex.close();
    throw error;
  }
  let closed = false;
  const close = async () => {
    closed = true;
    await idp.close();
    await convex.close();
  };
  const seed = async () => {
    idp.webhooks.start();
    if (convex.fresh && options.seed !== false) {
      // A database that lost its data while the directory kept its own: send the directory again.
      if (!idp.fresh) idp.webhooks.resync();
      const tasks = await seedDemoData(convex.url, idp);
      if (!options.quiet) console.log(`offline stack: demo data created (${tasks} tasks in 3 projects)`);
    }
    convex.markReady();
  };
  let ready: Promise<void>;
  try {
    // Read by the webhook handler per request, from the deployment's variables.
    await convex.setEnv({ CLERK_WEBHOOK_SECRET: idp.webhookSecret });
    if (options.code === "push") await pushProject(convex);
    if (options.code === "external") {
      ready = (async () => {
        while (!convex.hasCode()) {
          if (closed) throw new Error("The offline stack stopped before the first push");
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await seed();
      })();
    } else {
      await seed();
      ready = Promise.resolve();
    }
  } catch (error) {
    await close();
    throw error;
  }

  return {
    convex,
    idp,
    appEnv: {
      NEXT_PUBLIC_CONVEX_URL: convex.url,
      NEXT_PUBLIC_OFFLINE_IDP_URL: idp.url,
      OFFLINE_IDP_API_KEY_FILE: idp.apiKeyFile,
    },
    ready,
    close,
  };
}
