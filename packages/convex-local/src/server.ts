/**
 * The local Convex backend: a self-hosted deployment the Convex CLI pushes to (`npx convex dev`
 * / `deploy` with `CONVEX_SELF_HOSTED_URL` and `CONVEX_SELF_HOSTED_ADMIN_KEY`), running the pushed
 * functions on convex-test's engine and serving them to the real Convex clients over the sync
 * protocol (WebSocket), the HTTP API, and HTTP actions on the site port. Data, pushed code,
 * environment variables and the admin key live on disk and survive restarts.
 *
 * For development and tests only: it runs one function at a time, keeps everything in memory,
 * listens on 127.0.0.1 only and answers only requests addressed to a loopback name (`localhost`,
 * `127.0.0.1`, `[::1]`), so a page on another site cannot reach it through DNS rebinding. Its data
 * directory is its owner's only (0700, files 0600), and what it answers over HTTP names no file
 * on this machine.
 */
import { AsyncResource } from "node:async_hooks";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { WebSocketServer } from "ws";
import { AdminAuth } from "./admin";
import { loadProviders, TokenVerifier } from "./auth";
import { CodeStore, loadAdminKey } from "./code-store";
import { Deployment, type PushTimings } from "./deployment";
import { DeploymentScope } from "./deployment-env";
import { Engine } from "./engine";
import { FunctionLog } from "./function-log";
import { apiHandler, isLoopbackHost, siteHandler } from "./http-api";
import { installConsoleCapture } from "./logs";
import { convexModules } from "./modules";
import { Persistence } from "./persistence";
import { OfflineScheduler, type SchedulerClock } from "./scheduler";
import { SyncSession } from "./session";
import { SnapshotExports } from "./snapshot-export";
import { SnapshotImports } from "./snapshot-import";
import { FileStorage } from "./storage";
import { registerSourceDir } from "./source-maps";

export const DEFAULT_PORT = 3210;
export const DEFAULT_SITE_PORT = 3211;
export const DEFAULT_DATA_DIR = ".convex-local";
export const DEFAULT_INSTANCE_NAME = "convex-local";

/** The client reconnects after 60 s without a server message. */
const PING_INTERVAL_MS = 15_000;

function packageVersion(): string {
  try {
    const json = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return json.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export type OfflineConvexOptions = {
  /**
   * Where the database, the pushed code, the environment variables and the admin key are kept,
   * created 0700 if missing. Default `.convex-local` (in the working directory).
   */
  dataDir?: string;
  /** Deployment URL (sync protocol, HTTP API, deployment API) on 127.0.0.1; 0 picks a free port. Default 3210. */
  port?: number;
  /** HTTP actions on 127.0.0.1; 0 picks a free port. Default 3211. */
  sitePort?: number;
  /** Start with an empty database (the id counter is kept, so ids never repeat). Pushed code and variables stay. */
  reset?: boolean;
  /** No banner, no function logs on the console. */
  quiet?: boolean;
  /**
   * Flush each commit to the disk before acknowledging it, so acknowledged writes survive a machine
   * crash too; without it they survive the process being killed (the operating system has them).
   */
  fsync?: boolean;
  /**
   * Deployment environment variables set at every start, over those stored (what
   * `npx convex env set` sets); functions read them through `process.env`.
   */
  env?: Record<string, string>;
  /** The admin key the deployment API asks for. Default: the one in the data directory, made on first start. */
  adminKey?: string;
  /** The deployment's name (the admin key's prefix, `GET /instance_name`). Default `convex-local`. */
  instanceName?: string;
  /**
   * Loads a functions directory from disk at start instead of serving the last pushed code (for a
   * project that does not push; TypeScript needs the tsx loader). Pushes still replace it until
   * the next start. Omitted: the last pushed code, or none until the first push.
   */
  convexDir?: string;
  /** Answer `GET /version` with 503 until `markReady()` (for a launcher that seeds data first). */
  startNotReady?: boolean;
  /**
   * The clock scheduled functions and cron jobs run by (code only): tests pass a `ManualClock`
   * (`./testing`) to reach a schedule's time without waiting for it. Default: the machine's.
   */
  clock?: SchedulerClock;
};

export type OfflineConvexServer = {
  /** The deployment URL, e.g. `http://127.0.0.1:3210`: what clients and `CONVEX_SELF_HOSTED_URL` take. */
  url: string;
  /** Where HTTP actions are served, e.g. `http://127.0.0.1:3211` (the deployment's site URL). */
  siteUrl: string;
  dataDir: string;
  /** What `CONVEX_SELF_HOSTED_ADMIN_KEY` takes. */
  adminKey: string;
  /** Where the admin key is kept (unless it was given as an option). */
  adminKeyFile: string | null;
  instanceName: string;
  /** The variables the Convex CLI needs to use this backend: `CONVEX_SELF_HOSTED_URL` and `…_ADMIN_KEY`. */
  cliEnv: { CONVEX_SELF_HOSTED_URL: string; CONVEX_SELF_HOSTED_ADMIN_KEY: string };
  /** True when the database started empty. */
  fresh: boolean;
  banner: string;
  engine: Engine;
  /** Whether any code is live (pushed or loaded from `convexDir`). */
  hasCode(): boolean;
  /** The deployment's environment variables. */
  env(): Record<string, string>;
  /** Sets variables (null removes one), checked and applied as `npx convex env set` does. */
  setEnv(changes: Record<string, string | null>): Promise<void>;
  /** How long the last push took in the backend, from `start_push` to the end of `finish_push`. */
  lastPush(): PushTimings | null;
  /** Lets `GET /version` answer 200 (see `startNotReady`). */
  markReady(): void;
  /** Number of open WebSocket sessions. */
  sessions(): number;
  /** Folds the commit log into a new snapshot now (every acknowledged commit is on disk already). */
  flush(): Promise<void>;
  /** Stops listening, closes every connection, writes the snapshot and deletes the commit log. */
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

export async function startOfflineConvex(options: OfflineConvexOptions = {}): Promise<OfflineConvexServer> {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const convexDir = options.convexDir === undefined ? undefined : path.resolve(options.convexDir);
  const instanceName = options.instanceName ?? DEFAULT_INSTANCE_NAME;
  const print = !options.quiet;
  const log = print ? (line: string) => console.log(line) : () => {};

  const persistence = new Persistence(dataDir, undefined, options.fsync === true);
  if (options.reset) persistence.reset();
  const snapshot = persistence.open();
  const store = new CodeStore(dataDir);
  const adminKey = loadAdminKey(dataDir, instanceName, options.adminKey);
  const admin = new AdminAuth(adminKey, instanceName);

  // Listening first: the deployment's own URLs are part of its environment. Requests wait for the
  // rest of the start.
  const api = createServer();
  const site = createServer();
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  let handleApi: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async () => {};
  let handleSite: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async () => {};
  // The handlers answer every failure themselves; nothing is left for the promise to carry.
  api.on("request", (req, res) => void started.then(() => handleApi(req, res)));
  site.on("request", (req, res) => void started.then(() => handleSite(req, res)));
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

  const variables = { ...store.environmentVariables, ...options.env };
  if (options.env !== undefined && Object.keys(options.env).length > 0) store.setEnvironmentVariables(variables);
  const scope = new DeploymentScope(variables, { cloudUrl: url, siteUrl });
  const functionLog = new FunctionLog();
  const uninstallCapture = installConsoleCapture();
  const rootScope = new AsyncResource("OfflineConvexServer");
  const engine = new Engine({
    code: null,
    print,
    scope: rootScope,
    deployment: scope,
    functionLog,
    sourceDir: convexDir ?? store.codeRoot,
    durable: () => persistence.durable(),
  });
  await engine.ready;
  engine.internals.restore(snapshot, persistence.idFloor());
  // The clock is the server's own and starts at least at now: every timestamp a client saw from an
  // earlier run (even one whose data was since reset) is behind it, and no client moves it.
  engine.internals.advanceTsTo(BigInt(Date.now()) * 1_000_000n);
  persistence.follow(engine.internals);
  // Before any function runs: file storage's syscalls, and its files matched with `_storage`.
  const files = await FileStorage.open({
    dataDir,
    engine,
    cloudUrl: url,
    secret: adminKey,
    log: (line) => console.error(line),
  });

  const verifier = new TokenVerifier([]);
  const scheduler = new OfflineScheduler(engine, log, options.clock);
  const sessions = new Set<SyncSession>();
  const deployment = new Deployment({
    store,
    scope,
    engine,
    verifier,
    scheduler,
    refreshAll: () => {
      for (const session of sessions) session.refresh();
    },
    log: (line) => console.error(line),
    cloudUrl: url,
    siteUrl,
  });
  // `npx convex import` and `npx convex export`: their state lives in `_snapshot_imports` and `_exports`.
  const snapshotImports = new SnapshotImports({
    engine,
    files,
    schema: () => deployment.schema,
    log: (line) => console.error(line),
  });
  const snapshotExports = new SnapshotExports({
    engine,
    files,
    dataDir,
    instanceName,
    log: (line) => console.error(line),
  });
  await snapshotImports.open();
  await snapshotExports.open();
  engine.setSystemQueries(
    (udfPath, args) =>
      deployment.systemQuery(udfPath, args) ??
      snapshotImports.systemQuery(udfPath, args) ??
      snapshotExports.systemQuery(udfPath),
  );

  let authProblem: string | undefined;
  if (convexDir !== undefined) {
    registerSourceDir(convexDir, `../${path.basename(convexDir)}`);
    const code = await deployment.loadDirectory(convexDir, convexModules(convexDir));
    await engine.replaceCode(code, { sourceDir: convexDir });
    const { providers, problem } = await scope.run(() => loadProviders(convexDir));
    verifier.setProviders(providers);
    authProblem = problem;
  } else {
    const code = await deployment.loadStored();
    if (code !== null) await engine.replaceCode(code, { sourceDir: store.codeRoot });
  }

  let refreshScheduled = false;
  let closed = false;
  engine.onCommit(() => {
    if (closed || refreshScheduled) return;
    refreshScheduled = true;
    // After the committing function returns, so one function's writes cause one re-run.
    setImmediate(() => {
      refreshScheduled = false;
      for (const session of sessions) session.refresh();
    });
  });

  const resumed = await scheduler.resumeStoredJobs();
  const cronLines = await scheduler.startCrons();

  const documentCount = snapshot?.documents.length ?? 0;
  const functionsLine =
    convexDir !== undefined
      ? `${convexDir} (${deployment.moduleCount} modules, loaded at start; pushes replace them until a restart)`
      : deployment.active === null
        ? "none yet: push with `npx convex dev` or `npx convex deploy` (see below)"
        : `pushed code, ${deployment.moduleCount} modules (${path.join(store.codeRoot, deployment.active.version)})`;
  const adminKeyFile = options.adminKey === undefined ? path.join(dataDir, "admin_key") : null;
  const banner = [
    "local Convex server (convex-local) — for development and tests, not for production",
    `  api        ${url}  (the deployment URL: WebSocket sync, HTTP API, deployment API)`,
    `  http       ${siteUrl}  (HTTP actions, the deployment's site URL)`,
    `  functions  ${functionsLine}`,
    `  data       ${persistence.file} (${snapshot === null ? "new, empty" : `${documentCount} documents`})`,
    `  auth       ${verifier.describe().join("; ") || "no providers"}${authProblem ? ` (${authProblem})` : ""}`,
    `  admin key  ${adminKeyFile ?? "(given)"}`,
    ...(resumed > 0 ? [`  scheduled  ${resumed} job(s) from the last run resumed`] : []),
    ...cronLines.map((line) => `  cron       ${line}`),
    "  Convex CLI CONVEX_SELF_HOSTED_URL=" +
      url +
      " CONVEX_SELF_HOSTED_ADMIN_KEY=$(cat " +
      (adminKeyFile ?? "<key>") +
      ") npx convex dev",
  ].join("\n");
  // Callers over HTTP see what the server is, not where it keeps things on this machine.
  const publicBanner = () =>
    [
      "local Convex server (convex-local) — for development and tests, not for production",
      `  api        ${url}  (WebSocket sync, HTTP API, deployment API)`,
      `  http       ${siteUrl}  (HTTP actions)`,
      `  functions  ${deployment.moduleCount} modules`,
      `  data       ${snapshot === null ? "new, empty" : `${documentCount} documents`}`,
    ].join("\n");
  let isReady = !options.startNotReady;
  const version = packageVersion();
  const deps = {
    engine,
    verifier,
    admin,
    get banner() {
      return publicBanner();
    },
    log,
    ready: () => isReady,
    deployApi: {
      deployment,
      functionLog,
      cloudUrl: () => url,
      siteUrl: () => siteUrl,
      version,
      log: (line: string) => console.error(line),
      routes: { ...snapshotImports.routes(), ...snapshotExports.routes() },
    },
  };
  const serveSite = siteHandler(deps);
  const serveApi = apiHandler(deps, serveSite);
  handleApi = async (req, res) => {
    if (!(await files.handle(req, res))) await serveApi(req, res);
  };
  handleSite = (req, res) => serveSite(req, res);

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
      const session = new SyncSession(ws, { engine, verifier, admin, log });
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
  ready();

  log(banner);

  let closing: Promise<void> | undefined;
  const close = async () => {
    clearInterval(pinger);
    scheduler.stop();
    functionLog.close();
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
    await Promise.all([snapshotImports.close(), snapshotExports.close()]);
    closed = true;
    await persistence.close();
    uninstallCapture();
  };

  return {
    url,
    siteUrl,
    dataDir,
    adminKey,
    adminKeyFile,
    instanceName,
    cliEnv: { CONVEX_SELF_HOSTED_URL: url, CONVEX_SELF_HOSTED_ADMIN_KEY: adminKey },
    fresh: snapshot === null,
    banner,
    engine,
    hasCode: () => deployment.moduleCount > 0 || deployment.active !== null,
    env: () => deployment.environmentVariables(),
    setEnv: (changes) =>
      deployment.updateEnvironmentVariables({
        changes: Object.entries(changes).map(([name, value]) => ({ name, value })),
      }),
    lastPush: () => deployment.timings,
    sessions: () => sessions.size,
    markReady: () => {
      isReady = true;
    },
    flush: () => persistence.checkpoint(),
    close: () => (closing ??= close()),
  };
}
