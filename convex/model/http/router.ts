/**
 * The HTTP API's request handling under /api/v1: route matching, the bearer identity, query and
 * body checks, CORS, cursors, and the error codes' HTTP statuses. Routes call
 * the public queries and mutations with the caller's identity, so every tenancy and permission
 * rule is the one those functions apply; nothing here decides who may do what.
 */
import type { GenericValidator, Infer, VObject } from "convex/values";
import { ConvexError } from "convex/values";
import { internal } from "../../_generated/api";
import type { Id } from "../../_generated/dataModel";
import type { ActionCtx } from "../../_generated/server";
import { isPendingSession } from "../auth/claims";
import type { Permission } from "../auth/permissions";
import { PENDING_SESSION_MESSAGE } from "../auth/tenant";
import { apiCorsOrigins } from "../env";
import { ERROR_STATUS, isErrorCode, retryAfterSeconds, type ErrorCode } from "../errors";
import { MAX_PAGE_SIZE } from "../pagination";
import { apiLimitMessage } from "../rateLimits";
import { readBodyUpTo } from "./body";
import { checkJson, type IdRef } from "./json";

export const API_PREFIX = "/api/v1";

/** Request bodies are a few hundred bytes; anything past this is refused unread. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Rows per page when the caller does not say (`limit`); at most MAX_PAGE_SIZE. */
export const DEFAULT_PAGE_SIZE = 25;

/** The HTTP layer's own error codes and their statuses; the app's codes bring theirs (errors.ts). */
const HTTP_ERROR_STATUS = {
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
} as const;

/** The codes of the API's error bodies: the app's ConvexError codes and the HTTP layer's own. */
export type ApiErrorCode = ErrorCode | keyof typeof HTTP_ERROR_STATUS;

/** Every code of the API's error bodies with its HTTP status, lowest status first. */
export const STATUS_OF_CODE = Object.fromEntries(
  Object.entries({ ...ERROR_STATUS, ...HTTP_ERROR_STATUS }).sort(([, a], [, b]) => a - b),
) as Record<ApiErrorCode, number>;

/** A refusal decided by the HTTP layer (before or after the function call). */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

/** Tables whose ids appear in paths or bodies. */
export const ID_TABLES = ["projects", "tasks", "users"] as const;
export type IdTable = (typeof ID_TABLES)[number];
const NOUN: Record<IdTable, string> = { projects: "Project", tasks: "Task", users: "User" };

type PathParams = Record<string, IdTable>;
// Optional query filters: string-valued validators (literal unions) keyed by parameter name.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type QueryFilters = VObject<any, any, "required">;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = VObject<any, any, "required">;

/** A named response shape, documented once under components.schemas. */
export type NamedSchema = { name: string; validator: GenericValidator };

/** Page size and the caller's cursor, for paginated routes. */
export type PageRequest = { limit: number; cursor: string | null };

/** What one route receives: typed path ids, query filters, page and body. */
export type RouteCall<P extends PathParams, Q extends QueryFilters | undefined, B extends Body | undefined> = {
  ctx: ActionCtx;
  request: Request;
  params: { [K in keyof P]: Id<P[K]> };
  query: Q extends QueryFilters ? Infer<Q> : Record<string, never>;
  page: PageRequest;
  body: B extends Body ? Infer<B> : undefined;
};

export type Reply = { status: 200 | 201 | 204; body?: unknown; location?: string };

export type RouteSpec<P extends PathParams, Q extends QueryFilters | undefined, B extends Body | undefined> = {
  method: HttpMethod;
  /** Under API_PREFIX; `{name}` segments are ids of the table `params` names. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Answered without a token (the OpenAPI document). */
  public?: boolean;
  params?: P;
  query?: Q;
  /** Accepts `limit` and `cursor` and answers `{ data, nextCursor }`. */
  paginated?: boolean;
  body?: B;
  bodyExample?: Record<string, unknown>;
  /** Documentation of body and query fields, by name. */
  fieldDocs?: Record<string, string>;
  /** Documented only: the public function the route calls enforces it (tests check the two agree). */
  permission?: Permission;
  /** May answer 409 (a write to an archived project's tasks). */
  conflicts?: boolean;
  success: { status: 200 | 201 | 204; description: string; schema?: NamedSchema };
  handler: (call: RouteCall<P, Q, B>) => Promise<Reply>;
};

/** A route with its types erased, as the router and the OpenAPI builder hold it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Route = RouteSpec<any, any, any>;

/** Keeps a route's handler typed by its own params, query and body. */
export function defineRoute<P extends PathParams, Q extends QueryFilters | undefined, B extends Body | undefined>(
  spec: RouteSpec<P, Q, B>,
): Route {
  return spec as Route;
}

/** Matches `/projects/abc/tasks` against `/projects/{id}/tasks`; null when it does not fit. */
export function matchPath(template: string, path: string): Record<string, string> | null {
  const want = template.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [index, segment] of want.entries()) {
    const actual = got[index]!;
    const param = /^\{(\w+)\}$/.exec(segment);
    if (param === null) {
      if (actual !== segment) return null;
      continue;
    }
    if (actual === "") return null;
    try {
      params[param[1]!] = decodeURIComponent(actual);
    } catch {
      return null;
    }
  }
  return params;
}

function toBase64Url(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** Where a list continues: which list it belongs to, an optional position (a status), Convex's cursor. */
export type ListPosition = { at?: string; convex: string | null };

/** The opaque `nextCursor` of a page of `list`. */
export function encodeCursor(list: string, position: ListPosition): string {
  return toBase64Url(
    JSON.stringify({ l: list, ...(position.at !== undefined && { a: position.at }), c: position.convex }),
  );
}

/** Reads a caller's cursor for `list`; 400 when it is not one this list handed out. */
export function decodeCursor(raw: string, list: string): ListPosition {
  const invalid = () => new ApiError("INVALID", "The cursor is not valid for this list. Start again without one.");
  const text = fromBase64Url(raw);
  if (text === null) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid();
  }
  if (typeof parsed !== "object" || parsed === null) throw invalid();
  const { l, a, c } = parsed as { l?: unknown; a?: unknown; c?: unknown };
  if (l !== list || (a !== undefined && typeof a !== "string") || (c !== null && typeof c !== "string")) {
    throw invalid();
  }
  return { ...(a !== undefined && { at: a }), convex: c };
}

const BASE_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

function jsonResponse(status: number, body: unknown, headers: Record<string, string>): Response {
  if (status === 204) return new Response(null, { status, headers: { "cache-control": "no-store", ...headers } });
  return new Response(JSON.stringify(body), { status, headers: { ...BASE_HEADERS, ...headers } });
}

/** The error body every refusal uses: `{ "error": { "code", "message" } }`. */
function errorResponse(code: ApiErrorCode, message: string, headers: Record<string, string>): Response {
  const status = STATUS_OF_CODE[code];
  const challenge: Record<string, string> =
    status === 401 && headers["www-authenticate"] === undefined ? { "www-authenticate": "Bearer" } : {};
  return jsonResponse(status, { error: { code, message } }, { ...headers, ...challenge });
}

/** `Retry-After` in whole seconds, rounded up. */
function retryAfterHeader(retryAfterMs: number): Record<string, string> {
  return { "retry-after": String(retryAfterSeconds(retryAfterMs)) };
}

/** A function's refusal: its code and message, and for RATE_LIMITED the `Retry-After` header. */
function appErrorData(error: unknown): { code: ErrorCode; message: string; headers: Record<string, string> } | null {
  if (!(error instanceof ConvexError)) return null;
  const data = error.data as { code?: unknown; message?: unknown; retryAfterMs?: unknown } | null;
  if (typeof data !== "object" || data === null) return null;
  if (!isErrorCode(data.code) || typeof data.message !== "string") return null;
  const headers =
    data.code === "RATE_LIMITED" && typeof data.retryAfterMs === "number" ? retryAfterHeader(data.retryAfterMs) : {};
  return { code: data.code, message: data.message, headers };
}

const CORS_ALLOWED_HEADERS = "Authorization, Content-Type";
const CORS_EXPOSED_HEADERS = "Location, Retry-After, WWW-Authenticate";

/** CORS headers for the request's Origin: set only for origins API_CORS_ORIGINS lists. */
function corsHeaders(request: Request): { allowed: boolean; headers: Record<string, string> } {
  const origin = request.headers.get("origin");
  if (origin === null) return { allowed: false, headers: {} };
  const config = apiCorsOrigins();
  for (const problem of config.problems) console.error(problem);
  const allowed = config.any || config.origins.includes(origin.toLowerCase());
  if (!allowed) return { allowed: false, headers: { vary: "Origin" } };
  return {
    allowed: true,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-expose-headers": CORS_EXPOSED_HEADERS,
      vary: "Origin",
    },
  };
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i;

async function requireIdentity(ctx: ActionCtx, request: Request): Promise<void> {
  const header = request.headers.get("authorization");
  let identity = null;
  try {
    identity = await ctx.auth.getUserIdentity();
  } catch {
    // A deployment may throw rather than answer null for a token it cannot verify.
  }
  if (identity !== null) {
    if (isPendingSession(identity as unknown as Record<string, unknown>)) {
      throw new ApiError("UNAUTHENTICATED", PENDING_SESSION_MESSAGE, {
        "www-authenticate": 'Bearer error="invalid_token", error_description="pending session"',
      });
    }
    return;
  }
  if (header === null || header.trim() === "") {
    throw new ApiError("UNAUTHENTICATED", "Missing bearer token. Send `Authorization: Bearer <Clerk session token>`.");
  }
  if (!/^Bearer\s+\S+$/i.test(header.trim())) {
    throw new ApiError("UNAUTHENTICATED", "The Authorization header must be `Bearer <Clerk session token>`.", {
      "www-authenticate": 'Bearer error="invalid_request"',
    });
  }
  throw new ApiError(
    "UNAUTHENTICATED",
    'The bearer token is invalid or expired. Send a fresh Clerk session token for audience "convex" ' +
      '(getToken({ template: "convex" }), or the session token with Clerk\'s Convex integration) from the ' +
      "instance this deployment trusts (CLERK_JWT_ISSUER_DOMAIN).",
    {
      "www-authenticate": 'Bearer error="invalid_token"',
    },
  );
}

/** Spends one request of the caller's token and organization limits, or refuses with 429 and `Retry-After`. */
async function spendRateLimits(ctx: ActionCtx): Promise<void> {
  const verdict = await ctx.runMutation(internal.httpApi.spendRateLimits, {});
  if (!verdict.ok) throw new ApiError("RATE_LIMITED", apiLimitMessage(verdict), retryAfterHeader(verdict.retryAfterMs));
}

function parseQuery(route: Route, url: URL): { query: Record<string, string>; page: PageRequest } {
  const filters = (route.query?.fields ?? {}) as Record<string, GenericValidator>;
  const accepted = [...Object.keys(filters), ...(route.paginated === true ? ["limit", "cursor"] : [])];
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (!accepted.includes(key)) {
      const list = accepted.length === 0 ? "none" : accepted.map((name) => `"${name}"`).join(", ");
      throw new ApiError("INVALID", `Unknown query parameter "${key}". Accepted: ${list}.`);
    }
    if (Object.hasOwn(query, key)) throw new ApiError("INVALID", `Query parameter "${key}" is given more than once.`);
    query[key] = value;
  }
  const { limit: rawLimit, cursor, ...filterValues } = query;
  if (route.query !== undefined) {
    const problem = checkJson(route.query, filterValues, "", []);
    if (problem !== null) throw new ApiError("INVALID", problem.replace(/^"(\w+)"/, 'Query parameter "$1"'));
  }
  let limit = DEFAULT_PAGE_SIZE;
  if (rawLimit !== undefined) {
    limit = /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) {
      throw new ApiError("INVALID", `Query parameter "limit" must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
    }
  }
  if (cursor === "") {
    throw new ApiError("INVALID", 'Query parameter "cursor" must not be empty; leave it out to start.');
  }
  return { query: filterValues, page: { limit, cursor: cursor ?? null } };
}

async function parseBody(route: Route, request: Request, ids: IdRef[]): Promise<unknown> {
  if (route.body === undefined) return undefined;
  const type = request.headers.get("content-type");
  if (type === null || !JSON_MEDIA_TYPE.test(type)) {
    throw new ApiError(
      "UNSUPPORTED_MEDIA_TYPE",
      `Send the body as JSON with \`Content-Type: application/json\` (got ${type === null ? "none" : `"${type}"`}).`,
    );
  }
  const text = await readBodyUpTo(request, MAX_BODY_BYTES);
  if (text === "too large") {
    throw new ApiError("PAYLOAD_TOO_LARGE", `The body is larger than ${MAX_BODY_BYTES} bytes.`);
  }
  if (text.trim() === "") throw new ApiError("INVALID", "The body is empty; send a JSON object.");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError("INVALID", "The body is not valid JSON.");
  }
  const problem = checkJson(route.body, parsed, "", ids);
  if (problem !== null) throw new ApiError("INVALID", problem);
  return parsed;
}

function isIdTable(table: string): table is IdTable {
  return (ID_TABLES as readonly string[]).includes(table);
}

/**
 * Confirms every id of the request belongs to its table, in one query. A path id that does not is
 * 404, like an id of another organization; a body id that does not is 400.
 */
async function confirmIds(ctx: ActionCtx, pathIds: IdRef[], bodyIds: IdRef[]): Promise<void> {
  const all = [...pathIds, ...bodyIds];
  if (all.length === 0) return;
  const valid = await ctx.runQuery(internal.httpApi.normalizeIds, {
    ids: all.map(({ table, value }) => {
      if (!isIdTable(table)) throw new Error(`No id check for table ${table}`);
      return { table, id: value };
    }),
  });
  for (const [index, ref] of all.entries()) {
    if (valid[index] === true) continue;
    const noun = NOUN[ref.table as IdTable];
    if (index < pathIds.length) throw new ApiError("NOT_FOUND", `${noun} not found. It may have been deleted.`);
    throw new ApiError("INVALID", `"${ref.field}" is not a ${noun.toLowerCase()} id.`);
  }
}

/** Answers one request under API_PREFIX from `routes`. */
export async function serveApi(ctx: ActionCtx, request: Request, routes: readonly Route[]): Promise<Response> {
  const url = new URL(request.url);
  const cors = corsHeaders(request);
  let hadCursor = false;
  try {
    const path = url.pathname.slice(API_PREFIX.length).replace(/(.)\/$/, "$1");
    const candidates = routes.flatMap((route) => {
      const params = matchPath(route.path, path);
      return params === null ? [] : [{ route, params }];
    });
    if (candidates.length === 0) {
      throw new ApiError("NOT_FOUND", `No route ${url.pathname}. The routes are listed at ${API_PREFIX}/openapi.json.`);
    }
    const methods = [...new Set(candidates.map((c) => c.route.method))];
    const allow = [...methods, "OPTIONS"].join(", ");
    if (request.method === "OPTIONS") {
      const headers: Record<string, string> = { allow, ...cors.headers };
      if (cors.allowed) {
        headers["access-control-allow-methods"] = allow;
        headers["access-control-allow-headers"] = CORS_ALLOWED_HEADERS;
        headers["access-control-max-age"] = "600";
      }
      return jsonResponse(204, null, headers);
    }
    const method = request.method === "HEAD" ? "GET" : request.method;
    const match = candidates.find((c) => c.route.method === method);
    if (match === undefined) {
      throw new ApiError(
        "METHOD_NOT_ALLOWED",
        `${request.method} is not allowed on ${url.pathname}. Allowed: ${allow}.`,
        {
          allow,
        },
      );
    }
    const { route } = match;
    if (route.public !== true) {
      await requireIdentity(ctx, request);
      await spendRateLimits(ctx);
    }
    const { query, page } = parseQuery(route, url);
    hadCursor = page.cursor !== null;
    const bodyIds: IdRef[] = [];
    const body = await parseBody(route, request, bodyIds);
    const pathIds = Object.entries(route.params ?? {}).map(([name, table]) => ({
      field: name,
      table: table as string,
      value: match.params[name]!,
    }));
    await confirmIds(ctx, pathIds, bodyIds);
    const reply = await route.handler({ ctx, request, params: match.params, query, page, body } as never);
    const headers: Record<string, string> = { ...cors.headers };
    if (reply.location !== undefined) headers.location = reply.location;
    return jsonResponse(reply.status, reply.body, headers);
  } catch (error) {
    if (error instanceof ApiError)
      return errorResponse(error.code, error.message, { ...cors.headers, ...error.headers });
    const data = appErrorData(error);
    if (data !== null) return errorResponse(data.code, data.message, { ...cors.headers, ...data.headers });
    if (hadCursor) {
      // Convex refuses a cursor that was tampered with before our code sees it; that is the caller's mistake.
      return errorResponse("INVALID", "The cursor is not valid for this list. Start again without one.", cors.headers);
    }
    console.error(`HTTP API ${request.method} ${url.pathname} failed:`, error);
    return errorResponse("INTERNAL", "Something went wrong on our side. Try again in a moment.", cors.headers);
  }
}
