/**
 * The HTTP side of the local server:
 * - the function API on the main port, as `ConvexHttpClient` and `convex/nextjs` call it
 *   (node_modules/convex/src/browser/http_client.ts): POST /api/query, /api/mutation, /api/action,
 *   /api/function, /api/query_ts, /api/query_at_ts; with a user's token, or the admin key (then
 *   internal functions too, and the identity an admin acts as);
 * - the deployment API the Convex CLI calls with the admin key (deploy-api.ts);
 * - HTTP actions on the site port, routed by `convex/http.ts` (and under `/http/` on the main port).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Value } from "convex/values";
import { AdminKeyRefused, type AdminAuth } from "./admin";
import { AuthFailure, type TokenVerifier } from "./auth";
import { deployApiHandler, type DeployApiDeps } from "./deploy-api";
import type { CallResult, Caller, Engine } from "./engine";
import { decodeArgs, InvalidArgs } from "./values";

/** What `ConvexHttpClient` treats as "the function failed" (as opposed to a transport error). */
const STATUS_CODE_UDF_FAILED = 560;
/** Convex's limits: function arguments 16 MiB, HTTP action bodies 20 MiB. */
const MAX_API_BODY = 16 * 1024 * 1024;
const MAX_SITE_BODY = 20 * 1024 * 1024;

export type HttpDeps = {
  engine: Engine;
  verifier: TokenVerifier;
  admin: AdminAuth;
  deployApi: Omit<DeployApiDeps, "admin" | "readBody" | "sendJson">;
  /** What `GET /` and `/version` answer: no local paths (the console banner has them). */
  banner: string;
  log: (line: string) => void;
  /** False while whoever started the server is still setting it up (demo data): `/version` answers 503. */
  ready: () => boolean;
};

/**
 * Loopback names only, with any port: a page on another site whose name was made to resolve to
 * 127.0.0.1 (DNS rebinding) sends its own name as Host, and is refused.
 */
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

/** Whether a request's Host header names this machine's loopback interface. */
export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST.test(host);
}

/** The answer to a request for another host name. */
export function misdirected(res: ServerResponse): void {
  sendJson(res, 421, {
    code: "MisdirectedRequest",
    message: "The local Convex server answers requests for localhost, 127.0.0.1 and [::1] only.",
  });
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpProblem(413, "RequestTooLarge", `Request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/**
 * Who calls: a user by an `Authorization: Bearer` token (AuthFailure when it does not verify), an
 * admin by `Convex <admin key>` (AdminKeyRefused when the key is wrong), or nobody.
 */
async function callerFrom(
  req: IncomingMessage,
  verifier: TokenVerifier,
  admin: AdminAuth | null,
): Promise<{ caller: Caller; admin: boolean }> {
  const header = req.headers.authorization;
  if (header === undefined || header === "") return { caller: null, admin: false };
  const convex = /^Convex\s+(\S+)$/i.exec(header);
  if (convex !== null) {
    if (admin === null) throw new AuthFailure("BadAdminKey", "Admin keys are not accepted here; use a user token.");
    const { actingAs } = admin.credentials(convex[1]!);
    return {
      caller: actingAs === null ? null : { identity: actingAs, key: `admin:${JSON.stringify(actingAs)}` },
      admin: true,
    };
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match === null) throw new AuthFailure("InvalidAuthHeader", "Authorization header must be `Bearer <token>`");
  const verified = await verifier.verify(match[1]!);
  return { caller: { identity: verified.identity, key: verified.key }, admin: false };
}

// Browsers call the deployment API from the app's origin; a deployment allows any origin here.
const API_CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, convex-client",
  "access-control-max-age": "600",
};

type ApiRequest = { path: string; args: Record<string, Value> };

function parseApiRequest(
  body: Buffer,
  argsForm: "array" | "object",
  kind: "query" | "mutation" | "action",
): ApiRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpProblem(400, "BadJsonBody", "The request body is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HttpProblem(400, "BadJsonBody", "The request body must be a JSON object");
  }
  const request = parsed as { path?: unknown; args?: unknown; format?: unknown; componentPath?: unknown };
  if (typeof request.path !== "string" || request.path.length > 1024) {
    throw new HttpProblem(400, "BadRequest", "`path` must name a function");
  }
  if (request.componentPath !== undefined && request.componentPath !== null && request.componentPath !== "") {
    throw new HttpProblem(
      400,
      "BadRequest",
      "The local Convex server does not run a component's functions directly (componentPath): call them through the app's own functions",
    );
  }
  if (request.format !== undefined && request.format !== "convex_encoded_json" && request.format !== "json") {
    throw new HttpProblem(400, "BadRequest", "Unsupported `format`");
  }
  let raw: unknown;
  if (argsForm === "array") {
    if (request.args !== undefined && (!Array.isArray(request.args) || request.args.length > 1)) {
      throw new HttpProblem(400, "BadRequest", "`args` must be [ {…} ]");
    }
    raw = request.args === undefined || request.args.length === 0 ? {} : request.args[0];
  } else {
    raw = request.args === undefined ? {} : request.args;
  }
  try {
    return { path: request.path, args: decodeArgs(raw, kind).args };
  } catch (error) {
    if (error instanceof InvalidArgs) throw new HttpProblem(400, "BadRequest", error.message);
    throw error;
  }
}

function replyTo(res: ServerResponse, result: CallResult): void {
  if (result.ok) {
    sendJson(res, 200, { status: "success", value: result.value, logLines: result.logLines }, API_CORS);
  } else {
    sendJson(
      res,
      STATUS_CODE_UDF_FAILED,
      {
        status: "error",
        errorMessage: result.errorMessage,
        logLines: result.logLines,
        ...(result.errorData !== undefined && { errorData: result.errorData }),
      },
      API_CORS,
    );
  }
}

/** The function a `/api/function` body names, before its arguments are checked for that kind. */
function parsePath(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { path?: unknown } | null;
    return typeof parsed?.path === "string" ? parsed.path : undefined;
  } catch {
    return undefined;
  }
}

/** Requests on the main port that are not the WebSocket upgrade. */
export function apiHandler(
  deps: HttpDeps,
  site: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>,
) {
  const { engine, verifier, admin } = deps;
  const deployApi = deployApiHandler({ ...deps.deployApi, admin, readBody, sendJson });
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!isLoopbackHost(req.headers.host)) return misdirected(res);
    try {
      if (req.method === "OPTIONS") {
        res.writeHead(204, API_CORS).end();
        return;
      }
      // HTTP actions are also served on the deployment URL, under /http/ (as a deployment does).
      if (url.pathname === "/http" || url.pathname.startsWith("/http/")) {
        const rest = (req.url ?? "/").slice("/http".length);
        return await site(req, res, rest.startsWith("/") ? rest : `/${rest}`);
      }
      if (await deployApi(req, res, url)) return;
      if (req.method === "GET" && (url.pathname === "/" || url.pathname === "/version")) {
        const status = deps.ready() ? 200 : 503;
        const text = status === 200 ? deps.banner : "starting: not ready yet";
        res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...API_CORS }).end(text + "\n");
        return;
      }
      const kinds: Record<string, "query" | "mutation" | "action" | "function"> = {
        "/api/query": "query",
        "/api/query_at_ts": "query",
        "/api/mutation": "mutation",
        "/api/action": "action",
        "/api/function": "function",
      };
      if (url.pathname === "/api/query_ts" && req.method === "POST") {
        sendJson(res, 200, { ts: engine.internals.currentTs().toString() }, API_CORS);
        return;
      }
      const kind = kinds[url.pathname];
      if (kind === undefined) {
        throw new HttpProblem(404, "NotFound", `No endpoint ${url.pathname} on the local Convex server`);
      }
      if (req.method !== "POST") {
        res.setHeader("allow", "POST, OPTIONS");
        throw new HttpProblem(405, "MethodNotAllowed", `${url.pathname} takes POST`);
      }
      const body = await readBody(req, MAX_API_BODY);
      const who = await callerFrom(req, verifier, admin);
      const peek = kind === "function" ? parsePath(body) : undefined;
      let resolvedKind = kind;
      if (kind === "function") {
        const info = peek === undefined ? null : await engine.resolve(peek);
        const isSystemQuery = who.admin && peek?.startsWith("_system/") === true;
        if (!isSystemQuery && (info === null || info.kind === "httpAction" || (!who.admin && !info.isPublic))) {
          // As a deployment's `/api/function` answers for a function it cannot run for this caller.
          const name = (peek ?? "").replace(/\.js(?=:|$)/, "");
          replyTo(res, {
            ok: false,
            errorMessage: `Could not find function for '${name.includes(":") ? name : `${name}:default`}'. Did you forget to run \`npx convex dev\`?`,
            logLines: [],
          });
          return;
        }
        resolvedKind = info?.kind === "mutation" || info?.kind === "action" ? info.kind : "query";
      }
      const { path, args } = parseApiRequest(
        body,
        kind === "function" ? "object" : "array",
        resolvedKind === "function" ? "query" : resolvedKind,
      );
      const call = {
        udfPath: path,
        args,
        caller: who.caller,
        publicOnly: !who.admin,
        source: who.admin ? ("Admin" as const) : ("HttpApi" as const),
      };
      const result =
        resolvedKind === "mutation"
          ? await engine.mutation(call)
          : resolvedKind === "action"
            ? await engine.action(call)
            : await engine.query(call);
      replyTo(res, result);
    } catch (error) {
      if (error instanceof AdminKeyRefused) {
        sendJson(res, error.status, { code: error.code, message: error.message }, API_CORS);
      } else if (error instanceof AuthFailure) {
        deps.log(`auth: token refused on ${url.pathname} (${error.message})`);
        sendJson(res, 401, { code: error.code, message: error.message }, API_CORS);
      } else if (error instanceof HttpProblem) {
        sendJson(res, error.status, { code: error.code, message: error.message }, API_CORS);
      } else {
        deps.log(`http: ${(error as Error).stack ?? String(error)}`);
        sendJson(
          res,
          500,
          { code: "InternalServerError", message: "Internal error in the local server; see its log." },
          API_CORS,
        );
      }
    }
  };
}

/**
 * The scheme a client used: `http`, unless a TLS-terminating proxy says otherwise in
 * `X-Forwarded-Proto` or `Forwarded` (as convex-backend's http_actions.rs reads them).
 */
function requestScheme(req: IncomingMessage): string {
  const forwardedProto = req.headers["x-forwarded-proto"];
  const fromHeader = Array.isArray(forwardedProto) ? forwardedProto[0] : forwardedProto;
  const fromForwarded = /(?:^|;)\s*proto\s*=\s*"?([^";,\s]+)/i.exec(req.headers.forwarded?.split(",")[0] ?? "")?.[1];
  const scheme = (fromHeader ?? fromForwarded ?? "http").trim().toLowerCase();
  return /^[a-z][a-z0-9+.-]*$/.test(scheme) ? scheme : "http";
}

/**
 * HTTP actions. A request whose bearer token does not verify still reaches the action, which sees
 * no identity (`ctx.auth.getUserIdentity()` is null) and answers as it would to a signed-out caller.
 */
export function siteHandler(deps: HttpDeps) {
  const { engine, verifier } = deps;
  return async (req: IncomingMessage, res: ServerResponse, pathAndQuery = req.url ?? "/"): Promise<void> => {
    if (!isLoopbackHost(req.headers.host)) return misdirected(res);
    try {
      const method = req.method ?? "GET";
      const body = method === "GET" || method === "HEAD" ? undefined : await readBody(req, MAX_SITE_BODY);
      let caller: Caller = null;
      try {
        caller = (await callerFrom(req, verifier, null)).caller;
      } catch (error) {
        if (!(error instanceof AuthFailure)) throw error;
        deps.log(`auth: token refused on ${req.url} (${error.message}); the HTTP action sees no identity`);
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
      }
      const init = { method, headers, ...(body !== undefined && { body: new Uint8Array(body) }) };
      // The handler sees the request as it arrived (scheme, Host, path after `/http`, query).
      const arrived = new Request(`${requestScheme(req)}://${req.headers.host}${pathAndQuery}`, init);
      const response = await engine.internals.withHttpRequest(arrived, () => engine.fetch(pathAndQuery, init, caller));
      const out: Record<string, string | string[]> = {};
      response.headers.forEach((value, name) => {
        const existing = out[name];
        out[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
      });
      res.writeHead(response.status, out);
      res.end(method === "HEAD" ? undefined : Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      if (error instanceof HttpProblem) {
        sendJson(res, error.status, { code: error.code, message: error.message });
      } else {
        deps.log(`http action: ${(error as Error).stack ?? String(error)}`);
        if (!res.headersSent) {
          sendJson(res, 500, {
            code: "InternalServerError",
            message: "Internal error in the local server; see its log.",
          });
        } else {
          res.end();
        }
      }
    }
  };
}
