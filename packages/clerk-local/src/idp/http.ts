/**
 * The identity provider's HTTP API: OIDC discovery and JWKS, sessions and tokens, the directory,
 * the webhook outbox and the token settings. JSON in and out; errors are `{ error: { code, message } }`.
 *
 * It can sign anyone in and delete anything, so only what is public answers everyone (discovery,
 * the public keys, `GET /`, reading the token settings and restoring normal tokens); everything
 * else wants the API key (`Authorization: Bearer …`, the file `api-key` in the data directory).
 * Browsers get no CORS grant and are refused anything but public reads: pages reach the provider
 * only through the app's server.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { authorizes } from "./api-key";
import type { RequestAttributes } from "./clerk-json";
import type { Directory } from "./directory";
import { IdpError } from "./errors";
import { checkId, fields, nullableId } from "./input";
import type { Sessions } from "./sessions";
import type { SigningKey } from "./signing-key";
import type { TokenSettings } from "./token-settings";
import type { WebhookSender } from "./webhook-sender";

const MAX_BODY_BYTES = 64 * 1024;

/** Refuses requests for any other host name: a DNS-rebinding page cannot reach the API. */
const ALLOWED_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

type Reply = { status: number; body: unknown };

type Context = {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  request: RequestAttributes;
};

/** `public`: answered without the API key (reads of public things, and restoring normal tokens). */
type Route = { method: string; path: string; public?: true; handle: (ctx: Context) => Reply | Promise<Reply> };

/** What the routes act on. */
export type HttpDeps = {
  issuer: string;
  key: SigningKey;
  /** What callers must send as `Authorization: Bearer …` for every route that is not public. */
  apiKey: string;
  directory: Directory;
  sessions: Sessions;
  webhooks: WebhookSender;
  tokenSettings: TokenSettings;
};

const ok = (body: unknown): Reply => ({ status: 200, body });
const created = (body: unknown): Reply => ({ status: 201, body });
const list = (data: unknown[]): Reply => ok({ data, total_count: data.length });

/** Query parameters a listing accepts; any other is refused so a typo does not list everything. */
function query(ctx: Context, allowed: readonly string[]): Record<string, string | undefined> {
  const unknown = [...ctx.query.keys()].filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    const expected = allowed.length > 0 ? `expected ${allowed.join(", ")}` : "none are accepted";
    throw new IdpError("invalid", `Unknown query parameter ${unknown.join(", ")} (${expected}).`);
  }
  return Object.fromEntries(allowed.map((key) => [key, ctx.query.get(key) ?? undefined]));
}

/** `azp` as Clerk writes it: an origin (`scheme://host[:port]`), or absent. */
function originOrThrow(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let origin: string | null = null;
  try {
    origin = new URL(value).origin;
  } catch {
    // Reported below.
  }
  if (origin !== value)
    throw new IdpError("invalid", `azp must be an origin such as http://localhost:3000, not ${value}.`);
  return value;
}

// Bodies are passed on as they came: the directory and sessions validate their input themselves.
function routes(deps: HttpDeps): Route[] {
  const { directory, webhooks, tokenSettings } = deps;
  const withToken = async (session: ReturnType<Sessions["get"]>) => ({
    object: "session",
    ...session,
    last_active_token: { object: "token", jwt: await deps.sessions.token(session.id) },
  });
  return [
    {
      method: "GET",
      path: "/",
      public: true,
      handle: () =>
        ok({
          name: "offline identity provider — not for production",
          issuer: deps.issuer,
          discovery: `${deps.issuer}/.well-known/openid-configuration`,
          webhooks: webhooks.status().url,
          // Here too, so whoever looks at the provider sees that its tokens were made wrong on purpose.
          token_settings: tokenSettings.view(),
        }),
    },
    {
      method: "GET",
      path: "/.well-known/openid-configuration",
      public: true,
      handle: () =>
        ok({
          issuer: deps.issuer,
          jwks_uri: `${deps.issuer}/.well-known/jwks.json`,
          response_types_supported: ["id_token"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          claims_supported: ["iss", "sub", "aud", "iat", "nbf", "exp", "sid", "v", "o", "fea", "name", "email"],
        }),
    },
    {
      method: "GET",
      path: "/.well-known/jwks.json",
      public: true,
      handle: () => ok({ keys: [deps.key.publicJwk] }),
    },

    // ── sessions ──
    {
      method: "POST",
      path: "/sessions",
      handle: async (ctx) => created(await withToken(deps.sessions.create(ctx.body as never))),
    },
    {
      method: "GET",
      path: "/sessions/:id",
      handle: (ctx) => ok({ object: "session", ...deps.sessions.get(ctx.params.id!) }),
    },
    {
      method: "DELETE",
      path: "/sessions/:id",
      handle: (ctx) => ok({ object: "session", ...deps.sessions.end(ctx.params.id!) }),
    },
    ...(["GET", "POST"] as const).map((method): Route => ({
      method,
      path: "/sessions/:id/token",
      handle: async (ctx) => {
        // Clerk's Frontend API writes the requesting app's origin as `azp`; a server asking here names it.
        const { azp } = query(ctx, ["azp"]);
        return ok({ object: "token", jwt: await deps.sessions.token(ctx.params.id!, { azp: originOrThrow(azp) }) });
      },
    })),
    {
      method: "GET",
      path: "/sessions/:id/organizations",
      handle: (ctx) => (query(ctx, []), list(deps.sessions.organizations(ctx.params.id!))),
    },
    {
      method: "POST",
      path: "/sessions/:id/active-organization",
      handle: async (ctx) => {
        const body = fields(ctx.body, "The body", ["organization_id"]);
        if (!("organization_id" in body)) {
          throw new IdpError("invalid", "organization_id is required (an org_… id, or null for no organization).");
        }
        const orgId = nullableId(body, "organization_id", "org") ?? null;
        return ok(await withToken(deps.sessions.setActiveOrganization(ctx.params.id!, orgId)));
      },
    },

    // ── directory ──
    {
      method: "GET",
      path: "/directory/users",
      handle: (ctx) => list(directory.listUsers({ email_address: query(ctx, ["email_address"]).email_address })),
    },
    {
      method: "POST",
      path: "/directory/users",
      handle: (ctx) => created(directory.createUser(ctx.body as never, ctx.request)),
    },
    { method: "GET", path: "/directory/users/:id", handle: (ctx) => ok(directory.getUser(ctx.params.id!)) },
    {
      method: "PATCH",
      path: "/directory/users/:id",
      handle: (ctx) => ok(directory.updateUser(ctx.params.id!, ctx.body as never, ctx.request)),
    },
    {
      method: "DELETE",
      path: "/directory/users/:id",
      handle: (ctx) => ok(directory.deleteUser(ctx.params.id!, ctx.request)),
    },
    {
      method: "GET",
      path: "/directory/organizations",
      handle: (ctx) => (query(ctx, []), list(directory.listOrganizations())),
    },
    {
      method: "POST",
      path: "/directory/organizations",
      handle: (ctx) => created(directory.createOrganization(ctx.body as never, ctx.request)),
    },
    {
      method: "GET",
      path: "/directory/organizations/:id",
      handle: (ctx) => ok(directory.getOrganization(ctx.params.id!)),
    },
    {
      method: "PATCH",
      path: "/directory/organizations/:id",
      handle: (ctx) => ok(directory.updateOrganization(ctx.params.id!, ctx.body as never, ctx.request)),
    },
    {
      method: "DELETE",
      path: "/directory/organizations/:id",
      handle: (ctx) => ok(directory.deleteOrganization(ctx.params.id!, ctx.request)),
    },
    {
      method: "GET",
      path: "/directory/memberships",
      handle: (ctx) => {
        const q = query(ctx, ["organization_id", "user_id"]);
        return list(
          directory.listMemberships({
            organization_id: q.organization_id && checkId(q.organization_id, "organization_id", "org"),
            user_id: q.user_id && checkId(q.user_id, "user_id", "user"),
          }),
        );
      },
    },
    {
      method: "GET",
      path: "/directory/organizations/:id/memberships",
      handle: (ctx) => {
        query(ctx, []);
        return list(directory.listMemberships({ organization_id: directory.getOrganization(ctx.params.id!).id }));
      },
    },
    {
      method: "POST",
      path: "/directory/organizations/:id/memberships",
      handle: (ctx) => created(directory.addMember(ctx.params.id!, ctx.body as never, ctx.request)),
    },
    {
      method: "PATCH",
      path: "/directory/organizations/:id/memberships/:userId",
      handle: (ctx) => {
        const body = fields(ctx.body, "The membership update", ["role"]);
        return ok(directory.changeRole(ctx.params.id!, ctx.params.userId!, body.role as string, ctx.request));
      },
    },
    {
      method: "DELETE",
      path: "/directory/organizations/:id/memberships/:userId",
      handle: (ctx) => ok(directory.removeMember(ctx.params.id!, ctx.params.userId!, ctx.request)),
    },

    // ── token settings (in memory only) ──
    {
      method: "GET",
      path: "/token-settings",
      public: true,
      handle: (ctx) => (query(ctx, []), ok(tokenSettings.view())),
    },
    {
      method: "PATCH",
      path: "/token-settings",
      handle: (ctx) => ok(tokenSettings.update(ctx.body as never)),
    },
    {
      // Public: it can only undo a misconfiguration, and it is the fix the app's banner prints.
      method: "DELETE",
      path: "/token-settings",
      public: true,
      handle: (ctx) => {
        const { user_id: userId } = query(ctx, ["user_id"]);
        if (ctx.body !== undefined) {
          throw new IdpError(
            "invalid",
            "DELETE /token-settings takes no body; to clear one user's override use ?user_id=user_….",
          );
        }
        return ok(tokenSettings.reset(userId));
      },
    },

    // ── webhooks ──
    { method: "GET", path: "/webhooks", handle: () => ok(webhooks.status()) },
    {
      method: "POST",
      path: "/webhooks/resync",
      handle: (ctx) => {
        fields(ctx.body ?? {}, "The body", []);
        return ok({ queued: directory.resync(ctx.request) });
      },
    },
  ];
}

function match(pattern: string, pathname: string): Record<string, string> | null {
  // The index on its own: trimming the trailing slash leaves nothing to compare segment by segment.
  if (pattern === "/") return pathname === "/" ? {} : null;
  const want = pattern.split("/");
  const got = pathname.replace(/\/+$/, "").split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (!w.startsWith(":")) {
      if (w !== g) return null;
      continue;
    }
    try {
      params[w.slice(1)] = decodeURIComponent(g);
    } catch {
      return null;
    }
  }
  return params;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpFailure(413, "invalid", `The body is larger than ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpFailure(
      415,
      "invalid",
      `Send the body as JSON with "content-type: application/json" (got "${type}").`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new IdpError("invalid", "The body is not valid JSON.");
  }
}

/** A refusal with a status of its own (not one of IdpError's). */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The request handler for `http.createServer`. */
export function createHandler(
  deps: HttpDeps,
  log: (line: string) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  const table = routes(deps);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!ALLOWED_HOST.test(req.headers.host ?? "")) {
      return send(res, 421, {
        error: { code: "invalid", message: "This identity provider answers localhost, 127.0.0.1 and [::1] only." },
      });
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const candidates = table
      .map((route) => ({ route, params: match(route.path, url.pathname) }))
      .filter((c) => c.params);
    if (req.method === "OPTIONS") {
      // No CORS grant for anyone: a browser's preflight fails, and so does the request after it.
      if (candidates.length === 0)
        return send(res, 404, { error: { code: "not_found", message: "No such endpoint." } });
      res.writeHead(204, { allow: [...new Set(candidates.map((c) => c.route.method)), "OPTIONS"].join(", ") });
      return void res.end();
    }
    const found = candidates.find((c) => c.route.method === req.method);
    if (!found) {
      if (candidates.length === 0) {
        return send(res, 404, { error: { code: "not_found", message: `No endpoint ${url.pathname}.` } });
      }
      const allow = candidates.map((c) => c.route.method).join(", ");
      return send(
        res,
        405,
        { error: { code: "invalid", message: `${req.method} is not allowed on ${url.pathname} (allowed: ${allow}).` } },
        { allow },
      );
    }
    // A request from a page: `Origin` (every cross-origin request, and any non-GET one) or a
    // fetch-metadata site other than "none" (typed into the address bar).
    const fetchSite = req.headers["sec-fetch-site"];
    const fromPage = req.headers.origin !== undefined || (fetchSite !== undefined && fetchSite !== "none");
    const publicRead = found.route.public === true && (req.method === "GET" || req.method === "HEAD");
    if (fromPage && !publicRead) {
      return send(res, 403, {
        error: {
          code: "forbidden",
          message:
            "Pages may not call the identity provider: the app's sign-in screens go through its own /api/offline routes.",
        },
      });
    }
    if (found.route.public !== true && !authorizes(req.headers.authorization, deps.apiKey)) {
      return send(
        res,
        401,
        {
          error: {
            code: "unauthorized",
            message:
              "This endpoint needs the identity provider's API key: send `Authorization: Bearer <key>` with the key kept in the file api-key of its data directory.",
          },
        },
        { "www-authenticate": 'Bearer realm="offline identity provider"' },
      );
    }
    try {
      const reply = await found.route.handle({
        params: found.params!,
        query: url.searchParams,
        body: await readBody(req),
        request: { client_ip: req.socket.remoteAddress ?? "", user_agent: req.headers["user-agent"] ?? "" },
      });
      send(res, reply.status, reply.body);
    } catch (error) {
      if (error instanceof IdpError || error instanceof HttpFailure) {
        return send(res, error.status, { error: { code: error.code, message: error.message } });
      }
      log(`offline idp: ${req.method} ${url.pathname} failed: ${(error as Error).stack ?? String(error)}`);
      send(res, 500, { error: { code: "internal", message: "The identity provider failed; see its log." } });
    }
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`offline idp: could not answer ${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
}
