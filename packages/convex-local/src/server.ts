/**
 * The local Convex server: a project's own `convex/` functions on convex-test's engine, served
 * to the real Convex clients over the sync protocol (WebSocket), the HTTP API, and HTTP actions on
 * the site port. Data lives on disk and survives restarts. For development and tests only: it runs
 * one function at a time, keeps everything in memory, listens on 127.0.0.1 only and answers only
 * requests addressed to a loopback name (`localhost`, `127.0.0.1`, `[::1]`), so a page on another
 * site cannot reach it through DNS rebinding. Its data directory is its owner's only (0700, files
 * 0600), and what it answers over HTTP names no file on this machine.
 */
import { AsyncResource } from "node:async_hooks";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { WebSocketServer } from "ws";
import type { SchemaDefinition } from "convex/server";
import { convexModules } from "./modules";
import { loadProviders, TokenVerifier } from "./auth";
import { Engine, type Modules } from "./engine";
import { apiHandler, isLoopbackHost, siteHandler } from "./http-api";
import { installConsoleCapture } from "./logs";
import { Persistence } from "./persistence";
import { OfflineScheduler } from "./scheduler";
import { SyncSession } from "./session";

export const DEFAULT_PORT = 3210;
export const DEFAULT_SITE_PORT = 3211;
export const DEFAULT_DATA_DIR = ".convex-local";

/** How long after a commit the snapshot is written; commits in between share one write. */
const SAVE_DELAY_MS = 250;
/** The client reconnects after 60 s without a server message. */
const PING_INTERVAL_MS = 15_000;

export type OfflineConvexOptions = {
  /** The project's functions. Default `convex`. */
  convexDir?: string;
  /** Where the database is kept, created 0700 if missing. Default `.convex-local` (in the working directory). */
  dataDir?: string;
  /** Deployment API and sync protocol on 127.0.0.1; 0 picks a free port. Default 3210. */
  port?: number;
  /** HTTP actions on 127.0.0.1; 0 picks a free port. Default 3211. */
  sitePort?: number;
  /** Start with an empty database (the id counter is kept, so ids never repeat). */
  reset?: boolean;
  /** No banner, no function logs on the console. */
  quiet?: boolean;
  /**
   * The deployment's environment variables (what `npx convex env set` sets on a deployment),
   * applied to this process before `convex/` is loaded.
   */
  env?: Record<string, string>;
  /** Answer `GET /version` with 503 until `markReady()` (for a launcher that seeds data first). */
  startNotReady?: boolean;
};

export type OfflineConvexServer = {
  /** What the clients take as the deployment URL, e.g. `http://127.0.0.1:3210`. */
  url: string;
  /** Where HTTP actions are served, e.g. `http://127.0.0.1:3211`. */
  siteUrl: string;
  dataDir: string;
  /** True when the database started empty. */
  fresh: boolean;
  banner: string;
  engine: Engine;
  /** Lets `GET /version` answer 200 (see `startNotReady`). */
  markReady(): void;
  /** Number of open WebSocket sessions. */
  sessions(): number;
  /** Writes the snapshot now. */
  flush(): Promise<void>;
  /** Stops listening, closes every connection and writes the snapshot. */
  close(): Promise<void>;
};

async function listen(server: Server, port: number, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`Port ${port} on 127.0.0.1 (${what}) is in use: stop what holds it, or pick another port.`)
          : error,
      ),
    );
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function loadSchema(modules: Modules): Promise<SchemaDefinition<never, boolean> | null> {
  const load = modules["./schema.ts"] ?? modules["./schema.js"];
  if (load === undefined) return null;
  return ((await load()) as { default: SchemaDefinition<never, boolean> }).default;
}

export async function startOfflineConvex(options: OfflineConvexOptions = {}): Promise<OfflineConvexServer> {
  const convexDir = path.resolve(options.convexDir ?? "convex");
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const print = !options.quiet;
  const log = print ? (line: string) => console.log(line) : () => {};
  for (const [name, value] of Object.entries(options.env ?? {})) process.env[name] = value;

  const persistence = new Persistence(dataDir);
  if (options.reset) persistence.reset();
  const snapshot = persistence.load();

  const uninstallCapture = installConsoleCapture();
  const scope = new AsyncResource("OfflineConvexServer");
  const modules = convexModules(convexDir);
  const engine = new Engine({
    schema: await loadSchema(modules),
    modules,
    print,
    scope,
    sourceDir: convexDir,
  });
  await engine.ready;
  engine.internals.restore(snapshot, persistence.idFloor());
  // The clock is the server's own and starts at least at now: every timestamp a client saw from an
  // earlier run (even one whose data was since reset) is behind it, and no client moves it.
  engine.internals.advanceTsTo(BigInt(Date.now()) * 1_000_000n);
  const { providers, problem } = await loadProviders(convexDir);
  const verifier = new TokenVerifier(providers);

  const sessions = new Set<SyncSession>();
  let saveTimer: NodeJS.Timeout | undefined;
  let refreshScheduled = false;
  let closed = false;
  const saveSoon = () => {
    saveTimer = undefined;
    persistence.saveInBackground(engine.internals.snapshot(), (error) =>
      console.error(`local Convex server: could not write ${persistence.file}: ${error.message}`),
    );
  };
  const flush = async () => {
    clearTimeout(saveTimer);
    saveTimer = undefined;
    await persistence.save(engine.internals.snapshot());
  };
  engine.onCommit(() => {
    // A timer convex-test set before the close may still run a function: it must not write the file.
    if (closed) return;
    saveTimer ??= setTimeout(saveSoon, SAVE_DELAY_MS);
    if (refreshScheduled) return;
    refreshScheduled = true;
    // After the committing function returns, so one function's writes cause one re-run.
    setImmediate(() => {
      refreshScheduled = false;
      for (const session of sessions) session.refresh();
    });
  });

  const scheduler = new OfflineScheduler(engine, log);
  const resumed = await scheduler.resumeStoredJobs();
  const cronLines = await scheduler.startCrons();

  const api = createServer();
  const site = createServer();
  const port = await listen(api, options.port ?? DEFAULT_PORT, "Convex API");
  let sitePort: number;
  try {
    sitePort = await listen(site, options.sitePort ?? DEFAULT_SITE_PORT, "HTTP actions");
  } catch (error) {
    api.close();
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;
  const siteUrl = `http://127.0.0.1:${sitePort}`;

  const documentCount = snapshot?.documents.length ?? 0;
  const banner = [
    "local Convex server (convex-local) — for development and tests, not for production",
    `  api        ${url}  (the deployment URL: WebSocket sync and HTTP API)`,
    `  http       ${siteUrl}  (HTTP actions, the deployment's site URL)`,
    `  functions  ${convexDir} (${engine.moduleCount} modules, loaded at start: restart after adding functions)`,
    `  data       ${persistence.file} (${snapshot === null ? "new, empty" : `${documentCount} documents`})`,
    `  auth       ${verifier.describe().join("; ") || "no providers"}${problem ? ` (${problem})` : ""}`,
    ...(resumed > 0 ? [`  scheduled  ${resumed} job(s) from the last run resumed`] : []),
    ...cronLines.map((line) => `  cron       ${line}`),
  ].join("\n");
  // Callers over HTTP see what the server is, not where it keeps things on this machine.
  const publicBanner = [
    "local Convex server (convex-local) — for development and tests, not for production",
    `  api        ${url}  (WebSocket sync and HTTP API)`,
    `  http       ${siteUrl}  (HTTP actions)`,
    `  functions  ${engine.moduleCount} modules`,
    `  data       ${snapshot === null ? "new, empty" : `${documentCount} documents`}`,
  ].join("\n");
  let ready = !options.startNotReady;
  const deps = { engine, verifier, banner: publicBanner, log, ready: () => ready };
  const handleApi = apiHandler(deps);
  const handleSite = siteHandler(deps);
  // The handlers answer every failure themselves; nothing is left for the promise to carry.
  api.on("request", (req, res) => void handleApi(req, res));
  site.on("request", (req, res) => void handleSite(req, res));

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  api.on("upgrade", (req, socket, head) => {
    if (!isLoopbackHost(req.headers.host)) {
      socket.end("HTTP/1.1 421 Misdirected Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (!/^\/api\/[^/]+\/sync$/.test(pathname)) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Disable Nagle: Transitions are small and latency is what a live query is about.
      (socket as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
      const session = new SyncSession(ws, { engine, verifier, log });
      sessions.add(session);
      ws.on("message", (data, isBinary) => session.receive(data, isBinary));
      ws.on("close", () => {
        session.close();
        sessions.delete(session);
      });
      ws.on("error", () => ws.terminate());
    });
  });
  const pinger = setInterval(() => {
    for (const session of sessions) session.ping();
  }, PING_INTERVAL_MS);
  pinger.unref();

  log(banner);

  let closing: Promise<void> | undefined;
  const close = async () => {
    clearInterval(pinger);
    scheduler.stop();
    for (const client of wss.clients) client.terminate();
    for (const session of sessions) session.close();
    sessions.clear();
    await Promise.all(
      [api, site].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    wss.close();
    closed = true;
    await flush();
    uninstallCapture();
  };

  return {
    url,
    siteUrl,
    dataDir,
    fresh: snapshot === null,
    banner,
    engine,
    sessions: () => sessions.size,
    markReady: () => {
      ready = true;
    },
    flush,
    close: () => (closing ??= close()),
  };
}
