/**
 * The deployment API the Convex CLI calls with the admin key (convex-backend
 * crates/local_backend/src/router.rs), with the request and response shapes of the CLI's
 * `node_modules/convex/src/cli/lib/deployApi/*.ts`:
 *
 * - `GET /api/v1/get_canonical_urls`, `GET /instance_name`, `GET /instance_version`
 * - `POST /api/get_config_hashes`, `POST /api/get_config`
 * - `POST /api/deploy2/{evaluate_schema,start_push,evaluate_push,wait_for_schema,finish_push,report_push_completed}`
 *   (bodies may be brotli- or gzip-compressed, as the CLI sends pushes)
 * - `POST /api/update_environment_variables` (also under `/api/v1/`), `GET /api/v1/list_environment_variables`
 * - `GET /api/stream_function_logs?cursor=…` and `GET /api/stream_udf_execution?cursor=…` (long polls)
 * - whatever `routes` adds (snapshot import and export)
 *
 * Every one needs `Authorization: Convex <admin key>`; those whose body carries `adminKey` need it
 * there too. Errors are `{code, message}` with a deployment's status and words.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { AdminAuth } from "./admin";
import { PushError } from "./analyze";
import type { Deployment } from "./deployment";
import type { FunctionLog } from "./function-log";

const brotliDecompress = promisify(zlib.brotliDecompress);
const gunzip = promisify(zlib.gunzip);

/** A push's compressed body, and what it may grow to (a deployment allows pushes of this size). */
const MAX_PUSH_BODY = 64 * 1024 * 1024;
const MAX_PUSH_JSON = 256 * 1024 * 1024;
const MAX_ADMIN_BODY = 4 * 1024 * 1024;
/** Pushes whose errors a deployment prefixes so (deploy_config2.rs). */
const PUSH_ERROR_PREFIX = "Hit an error while pushing:\n";

export type DeployApiDeps = {
  admin: AdminAuth;
  deployment: Deployment;
  functionLog: FunctionLog;
  cloudUrl: () => string;
  siteUrl: () => string;
  /** What `GET /instance_version` answers. */
  version: string;
  readBody: (req: IncomingMessage, limit: number) => Promise<Buffer>;
  sendJson: (res: ServerResponse, status: number, body: unknown) => void;
  log: (line: string) => void;
  /** More routes by path; a path ending in `/` takes every path under it. */
  routes?: Record<string, Route>;
};

async function decodedJson(req: IncomingMessage, body: Buffer): Promise<unknown> {
  const encoding = (req.headers["content-encoding"] ?? "").toLowerCase();
  let text: Buffer = body;
  try {
    if (encoding === "br") text = await brotliDecompress(body, { maxOutputLength: MAX_PUSH_JSON });
    else if (encoding === "gzip") text = await gunzip(body, { maxOutputLength: MAX_PUSH_JSON });
  } catch {
    throw new PushError(
      "BadRequestBody",
      `The request body is not valid ${encoding} data, or larger than ${MAX_PUSH_JSON} bytes`,
    );
  }
  try {
    return JSON.parse(text.toString("utf8")) as unknown;
  } catch {
    throw new PushError("BadJsonBody", "The request body is not JSON");
  }
}

export type Route = {
  method: "GET" | "POST";
  /** Whether the body must carry the admin key too. */
  bodyKey?: boolean;
  /** The handler takes the body's bytes as they came (a Buffer), not JSON. */
  raw?: boolean;
  limit?: number;
  prefix?: string;
  handle: (body: unknown, url: URL, req: IncomingMessage) => Promise<unknown>;
};

/** A route's answer that is not JSON: bytes or a stream, with their headers. */
export class RawAnswer {
  constructor(
    readonly headers: Record<string, string>,
    readonly body: Buffer | Readable,
  ) {}
}

/**
 * Answers the deployment API's routes; resolves false for any other request (left to the
 * function API).
 */
export function deployApiHandler(deps: DeployApiDeps) {
  const { deployment, admin } = deps;
  const streamLogs = (completionsOnly: boolean) => async (_body: unknown, url: URL, req: IncomingMessage) => {
    const cursor = Number(url.searchParams.get("cursor") ?? "0");
    if (!Number.isFinite(cursor)) throw new PushError("InvalidCursor", "cursor must be a number");
    // A long poll ends early when its client goes away; keep-alive sockets carry many, so the
    // listener goes with the request.
    const abort = new AbortController();
    const onClose = () => abort.abort();
    req.socket.once("close", onClose);
    let result: Awaited<ReturnType<FunctionLog["stream"]>>;
    try {
      result = await deps.functionLog.stream(cursor, { signal: abort.signal });
    } finally {
      req.socket.off("close", onClose);
    }
    return completionsOnly
      ? { entries: result.entries.filter((entry) => entry.kind === "Completion"), newCursor: result.newCursor }
      : result;
  };
  const updateEnv = (body: unknown) => deployment.updateEnvironmentVariables(body).then(() => null);
  const listEnv = () => Promise.resolve({ environmentVariables: deployment.environmentVariables() });
  const routes: Record<string, Route> = {
    "/api/v1/get_canonical_urls": {
      method: "GET",
      handle: () => Promise.resolve({ convexCloudUrl: deps.cloudUrl(), convexSiteUrl: deps.siteUrl() }),
    },
    "/api/get_config_hashes": {
      method: "POST",
      bodyKey: true,
      handle: () => Promise.resolve(deployment.configHashes()),
    },
    "/api/get_config": { method: "POST", bodyKey: true, handle: () => Promise.resolve(deployment.config()) },
    "/api/deploy2/evaluate_schema": {
      method: "POST",
      bodyKey: true,
      limit: MAX_PUSH_BODY,
      handle: (body) => deployment.evaluateSchema(body),
    },
    "/api/deploy2/start_push": {
      method: "POST",
      bodyKey: true,
      limit: MAX_PUSH_BODY,
      prefix: PUSH_ERROR_PREFIX,
      handle: (body) => deployment.startPush(body),
    },
    "/api/deploy2/evaluate_push": {
      method: "POST",
      bodyKey: true,
      limit: MAX_PUSH_BODY,
      prefix: PUSH_ERROR_PREFIX,
      handle: (body) => deployment.startPush(body, { evaluateOnly: true }),
    },
    "/api/deploy2/wait_for_schema": { method: "POST", bodyKey: true, handle: (body) => deployment.waitForSchema(body) },
    "/api/deploy2/finish_push": {
      method: "POST",
      bodyKey: true,
      limit: MAX_PUSH_BODY,
      prefix: PUSH_ERROR_PREFIX,
      handle: (body) => deployment.finishPush(body),
    },
    // The CLI reads a JSON answer (and reports a failure on an empty one); the spans are not kept.
    "/api/deploy2/report_push_completed": { method: "POST", bodyKey: true, handle: () => Promise.resolve({}) },
    "/api/update_environment_variables": { method: "POST", handle: updateEnv },
    "/api/v1/update_environment_variables": { method: "POST", handle: updateEnv },
    "/api/list_environment_variables": { method: "GET", handle: listEnv },
    "/api/v1/list_environment_variables": { method: "GET", handle: listEnv },
    "/api/stream_function_logs": { method: "GET", handle: streamLogs(false) },
    "/api/app_metrics/stream_function_logs": { method: "GET", handle: streamLogs(false) },
    "/api/stream_udf_execution": { method: "GET", handle: streamLogs(true) },
    "/api/app_metrics/stream_udf_execution": { method: "GET", handle: streamLogs(true) },
  };

  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (req.method === "GET" && url.pathname === "/instance_name") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(admin.instanceName);
      return true;
    }
    if (req.method === "GET" && url.pathname === "/instance_version") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(deps.version);
      return true;
    }
    const extra = deps.routes ?? {};
    const route =
      routes[url.pathname] ??
      extra[url.pathname] ??
      Object.entries(extra).find(([path]) => path.endsWith("/") && url.pathname.startsWith(path))?.[1];
    if (route === undefined) return false;
    try {
      if (req.method !== route.method) {
        res.setHeader("allow", route.method);
        deps.sendJson(res, 405, { code: "MethodNotAllowed", message: `${url.pathname} takes ${route.method}` });
        return true;
      }
      const fromQuery = url.searchParams.get("adminKey");
      if (req.headers.authorization === undefined && fromQuery !== null) admin.credentials(fromQuery);
      else admin.fromHeader(req.headers.authorization);
      let body: unknown = null;
      if (route.method === "POST") {
        const bytes = await deps.readBody(req, route.limit ?? MAX_ADMIN_BODY);
        body = route.raw === true ? bytes : await decodedJson(req, bytes);
        if (route.bodyKey === true) {
          const key = typeof body === "object" && body !== null ? (body as { adminKey?: unknown }).adminKey : undefined;
          if (typeof key !== "string") throw new PushError("BadRequest", "The request body must carry `adminKey`");
          if (!admin.matches(key)) throw admin.badKey();
        }
      }
      let result: unknown;
      try {
        result = await route.handle(body, url, req);
      } catch (error) {
        if (error instanceof PushError && route.prefix !== undefined) {
          throw new PushError(error.code, route.prefix + error.message, error.status);
        }
        throw error;
      }
      if (result === null) res.writeHead(200).end();
      else if (result instanceof RawAnswer) {
        res.writeHead(200, result.headers);
        if (Buffer.isBuffer(result.body)) res.end(result.body);
        else await pipeline(result.body, res);
      } else deps.sendJson(res, 200, result);
    } catch (error) {
      // A download that fails half-way can only be cut off.
      if (res.headersSent) {
        res.destroy();
        return true;
      }
      if (error instanceof PushError) {
        deps.sendJson(res, error.status, { code: error.code, message: error.message });
      } else if (error instanceof Error && "status" in error && "code" in error) {
        const refused = error as Error & { status: number; code: string };
        deps.sendJson(res, refused.status, { code: refused.code, message: refused.message });
      } else {
        deps.log(`deployment API: ${(error as Error).stack ?? String(error)}`);
        deps.sendJson(res, 500, {
          code: "InternalServerError",
          message: "Internal error in the local server; see its log.",
        });
      }
    }
    return true;
  };
}
