// The app's own /api/offline routes, through which the browser signs in, switches organizations,
// gets tokens and manages members. They stand where Clerk's Frontend API stands: they act for the
// session in the HttpOnly `offline_session` cookie (member management only for the organization's
// admins), and only they hold the identity provider's API key.
//
// Every request must name a loopback host; a request that changes something must come from this
// origin (`Origin`, `Sec-Fetch-Site`) with a JSON body, so no other site (and no DNS-rebinding page)
// can sign anyone in, mint a token or change a membership. Nothing here needs Node.js' own modules.
import { OfflineIdentityError } from "../shared/errors";
import type {
  OfflineAccount,
  OfflineDirectoryAccount,
  OfflineMember,
  OfflineOrganization,
  OfflineSession,
} from "../shared/types";
import type { IdpAdmin } from "./admin";
import { OFFLINE_COOKIE_MAX_AGE_SECONDS, OFFLINE_ORG_COOKIE, OFFLINE_SESSION_COOKIE } from "./cookies";

const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
const MAX_BODY_BYTES = 16 * 1024;
/** Clerk's role keys; which roles exist is the provider's to say (it refuses others with 400). */
const ROLE_KEY = /^org:[a-z0-9_]{1,64}$/;

/** Who may manage an organization's members, and what its creator becomes: Clerk's admin role. */
const ADMIN_ROLE = "org:admin";
const CREATOR_ROLE = ADMIN_ROLE;

type Json = Record<string, unknown>;
type Cookie = { name: string; value: string | null };

/** An answer: status, JSON body, and the cookies to set (`value: null` clears one). */
type Reply = { status: number; body: unknown; cookies?: Cookie[] };

const ok = (body: unknown, cookies?: Cookie[]): Reply => ({ status: 200, body, ...(cookies && { cookies }) });

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function badResponse(what: string): OfflineIdentityError {
  return new OfflineIdentityError(502, "bad_response", `The identity provider sent an unexpected ${what}.`);
}

function invalid(message: string): OfflineIdentityError {
  return new OfflineIdentityError(400, "invalid", message);
}

function listOf(body: unknown, what: string): unknown[] {
  if (!isObject(body) || !Array.isArray(body.data)) throw badResponse(`${what} list`);
  return body.data;
}

// --- The provider's records (Clerk's snake_case) as the app's client sees them -------------------

function toAccount(value: unknown): OfflineAccount {
  if (!isObject(value) || typeof value.id !== "string") throw badResponse("user");
  return {
    id: value.id,
    firstName: text(value.first_name) ?? "",
    lastName: text(value.last_name) ?? "",
    email: text(value.email_address) ?? "",
    imageUrl: text(value.image_url),
  };
}

/** A membership with its organization (`GET /sessions/:id/organizations`). */
function toOrganization(value: unknown): OfflineOrganization {
  if (!isObject(value) || typeof value.role !== "string") throw badResponse("membership");
  const org = value.organization;
  if (!isObject(org) || typeof org.id !== "string" || typeof org.name !== "string") throw badResponse("organization");
  return { id: org.id, name: org.name, slug: text(org.slug), role: value.role, imageUrl: text(org.image_url) };
}

type ProviderSession = { id: string; userId: string; activeOrgId: string | null; status: string; jwt: string | null };

function toProviderSession(value: unknown): ProviderSession {
  if (!isObject(value) || typeof value.id !== "string" || typeof value.user_id !== "string") {
    throw badResponse("session");
  }
  const token = value.last_active_token;
  return {
    id: value.id,
    userId: value.user_id,
    activeOrgId: text(value.last_active_organization_id),
    status: typeof value.status === "string" ? value.status : "active",
    jwt: isObject(token) ? text(token.jwt) : null,
  };
}

/**
 * What the page learns of its session: not the provider's session id (the cookie's value, which
 * stays HttpOnly) but a handle derived from it, enough to tell one session from another.
 */
async function view(session: ProviderSession): Promise<OfflineSession> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(session.id)));
  const handle = btoa(String.fromCharCode(...digest))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .slice(0, 22);
  return { sessionId: handle, userId: session.userId, activeOrgId: session.activeOrgId };
}

function sessionCookies(session: ProviderSession): Cookie[] {
  return [
    { name: OFFLINE_SESSION_COOKIE, value: session.id },
    { name: OFFLINE_ORG_COOKIE, value: session.activeOrgId },
  ];
}

const SIGNED_OUT: Cookie[] = [
  { name: OFFLINE_SESSION_COOKIE, value: null },
  { name: OFFLINE_ORG_COOKIE, value: null },
];

function serializeCookie({ name, value }: Cookie): string {
  const attributes = "Path=/; HttpOnly; SameSite=Lax";
  return value === null
    ? `${name}=; ${attributes}; Max-Age=0`
    : `${name}=${encodeURIComponent(value)}; ${attributes}; Max-Age=${OFFLINE_COOKIE_MAX_AGE_SECONDS}`;
}

function readCookie(request: Request, name: string): string | null {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key !== name) continue;
    try {
      const value = decodeURIComponent(rest.join("="));
      return value === "" ? null : value;
    } catch {
      return null;
    }
  }
  return null;
}

function respond({ status, body, cookies = [] }: Reply): Response {
  const headers = new Headers({ "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  for (const cookie of cookies) headers.append("set-cookie", serializeCookie(cookie));
  return new Response(JSON.stringify(body), { status, headers });
}

function refusal(status: number, code: string, message: string, cookies?: Cookie[]): Response {
  return respond({ status, body: { error: { code, message } }, ...(cookies && { cookies }) });
}

/**
 * Why this request may not proceed, or null. State-changing requests must come from this origin;
 * any request must name a loopback host (the offline stack is for this machine only).
 */
function crossSite(request: Request): Response | null {
  const host = request.headers.get("host") ?? "";
  if (!LOOPBACK_HOST.test(host)) {
    return refusal(421, "misdirected", "The offline sign-in answers requests for localhost, 127.0.0.1 and [::1] only.");
  }
  const changes = request.method !== "GET" && request.method !== "HEAD";
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && !(site === "none" && !changes)) {
    return refusal(403, "forbidden", "Only this app's own pages may use its sign-in routes.");
  }
  const origin = request.headers.get("origin");
  if (origin !== null) {
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = null;
    }
    if (originHost === null || originHost.toLowerCase() !== host.toLowerCase()) {
      return refusal(403, "forbidden", "Only this app's own pages may use its sign-in routes.");
    }
  }
  return null;
}

async function jsonBody(request: Request): Promise<Json> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new OfflineIdentityError(415, "invalid", 'Send a JSON body with "content-type: application/json".');
  }
  const raw = await request.text();
  if (raw.length > MAX_BODY_BYTES) throw new OfflineIdentityError(413, "invalid", "The body is too large.");
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid("The body is not valid JSON.");
  }
  if (!isObject(parsed)) throw invalid("The body must be a JSON object.");
  return parsed;
}

function only(body: Json, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw invalid(`Unknown field ${unknown.join(", ")}.`);
}

function requiredString(body: Json, field: string, max = 320): string {
  const value = body[field];
  if (typeof value !== "string" || value.trim() === "" || value.length > max) {
    throw invalid(`${field} is required (text, at most ${max} characters).`);
  }
  return value.trim();
}

function optionalString(body: Json, field: string, max = 100): string | undefined {
  const value = body[field];
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string" || value.length > max)
    throw invalid(`${field} must be text of at most ${max} characters.`);
  return value.trim();
}

function role(body: Json): string {
  const value = body.role;
  if (typeof value !== "string" || !ROLE_KEY.test(value)) throw invalid("role must be a role key like org:member.");
  return value;
}

const pathId = (value: string | undefined, prefix: string): string => {
  if (value === undefined || !new RegExp(`^${prefix}_[A-Za-z0-9]{1,64}$`).test(value)) {
    throw new OfflineIdentityError(404, "not_found", "No such record.");
  }
  return value;
};

/** What the routes answer a request with: the path below /api/offline, split into segments. */
export type OfflineRoutes = (request: Request, segments: readonly string[]) => Promise<Response>;

/** The routes, over the provider `idp()` gives (the app's, with its API key). */
export function createOfflineRoutes(options: { idp: () => IdpAdmin }): OfflineRoutes {
  const { idp } = options;

  /** The signed-in session in the cookie, or a 401 `session_ended` that clears the cookies. */
  async function currentSession(request: Request): Promise<ProviderSession> {
    const id = readCookie(request, OFFLINE_SESSION_COOKIE);
    if (id === null || !/^sess_[A-Za-z0-9]{1,64}$/.test(id)) throw sessionEnded();
    let session: ProviderSession;
    try {
      session = toProviderSession(await idp().request("GET", `/sessions/${encodeURIComponent(id)}`));
    } catch (error) {
      if (error instanceof OfflineIdentityError && (error.status === 404 || error.status === 410)) throw sessionEnded();
      throw error;
    }
    if (session.status !== "active") throw sessionEnded();
    return session;
  }

  /** A call on the current session: the provider's 410 (ended) or 404 (unknown, e.g. after a reset) signs out. */
  async function onSession(session: ProviderSession, method: string, suffix: string, body?: Json): Promise<unknown> {
    try {
      return await idp().request(method, `/sessions/${encodeURIComponent(session.id)}${suffix}`, body);
    } catch (error) {
      if (error instanceof OfflineIdentityError && error.status === 410) throw sessionEnded();
      throw error;
    }
  }

  /** The caller's role in `orgId`, or null when not a member. */
  async function roleIn(session: ProviderSession, orgId: string): Promise<string | null> {
    const query = `organization_id=${encodeURIComponent(orgId)}&user_id=${encodeURIComponent(session.userId)}`;
    const [membership] = listOf(await idp().request("GET", `/directory/memberships?${query}`), "membership");
    return isObject(membership) && typeof membership.role === "string" ? membership.role : null;
  }

  async function requireMember(session: ProviderSession, orgId: string): Promise<string> {
    const found = await roleIn(session, orgId);
    // As Clerk: someone else's organization is as good as absent.
    if (found === null) throw new OfflineIdentityError(404, "not_found", "No such organization among yours.");
    return found;
  }

  async function requireAdmin(session: ProviderSession, orgId: string): Promise<void> {
    if ((await requireMember(session, orgId)) !== ADMIN_ROLE) {
      throw new OfflineIdentityError(403, "forbidden", "Only the organization's admins can manage its members.");
    }
  }

  async function accounts(): Promise<OfflineDirectoryAccount[]> {
    const [users, organizations, memberships] = await Promise.all([
      idp().request("GET", "/directory/users"),
      idp().request("GET", "/directory/organizations"),
      idp().request("GET", "/directory/memberships"),
    ]);
    const names = new Map<string, string>();
    for (const org of listOf(organizations, "organization")) {
      if (isObject(org) && typeof org.id === "string" && typeof org.name === "string") names.set(org.id, org.name);
    }
    const byUser = new Map<string, OfflineDirectoryAccount["memberships"]>();
    for (const membership of listOf(memberships, "membership")) {
      if (!isObject(membership) || typeof membership.user_id !== "string" || typeof membership.role !== "string")
        continue;
      const organizationName = names.get(String(membership.organization_id));
      if (organizationName === undefined) continue;
      const list = byUser.get(membership.user_id) ?? [];
      list.push({ organizationName, role: membership.role });
      byUser.set(membership.user_id, list);
    }
    return listOf(users, "user").map((user) => {
      const account = toAccount(user);
      return { ...account, memberships: byUser.get(account.id) ?? [] };
    });
  }

  /** A new session's answer: its view and first token, and the cookies that keep it. */
  async function signedIn(returned: unknown): Promise<Reply> {
    const session = toProviderSession(returned);
    return ok({ session: await view(session), token: session.jwt }, sessionCookies(session));
  }

  async function route(request: Request, segments: readonly string[]): Promise<Reply> {
    const method = request.method;
    const [first, second, third, fourth, ...rest] = segments;
    if (rest.length > 0) throw notFound();
    const body = method === "GET" || method === "HEAD" ? undefined : await jsonBody(request);

    switch (
      `${method} ${first ?? ""}${second === undefined ? "" : "/*"}${third === undefined ? "" : `/${third}`}${fourth === undefined ? "" : "/*"}`
    ) {
      case "GET session": {
        if (readCookie(request, OFFLINE_SESSION_COOKIE) === null) return ok({ session: null });
        try {
          const session = await currentSession(request);
          return ok({ session: await view(session) }, sessionCookies(session));
        } catch (error) {
          if (error instanceof OfflineIdentityError && error.code === "session_ended") {
            return ok({ session: null }, SIGNED_OUT);
          }
          throw error;
        }
      }
      case "POST sign-in": {
        only(body!, ["userId", "email"]);
        const who =
          body!.userId !== undefined
            ? { user_id: requiredString(body!, "userId", 100) }
            : { email_address: requiredString(body!, "email") };
        return await signedIn(await idp().request("POST", "/sessions", who));
      }
      case "POST sign-up": {
        only(body!, ["firstName", "lastName", "email"]);
        const email = requiredString(body!, "email");
        const firstName = optionalString(body!, "firstName");
        const lastName = optionalString(body!, "lastName");
        const created = toAccount(
          await idp().request("POST", "/directory/users", {
            email_address: email,
            ...(firstName !== undefined && { first_name: firstName }),
            ...(lastName !== undefined && { last_name: lastName }),
          }),
        );
        return await signedIn(await idp().request("POST", "/sessions", { user_id: created.id }));
      }
      case "POST sign-out": {
        only(body!, []);
        const id = readCookie(request, OFFLINE_SESSION_COOKIE);
        if (id !== null && /^sess_[A-Za-z0-9]{1,64}$/.test(id)) {
          try {
            await idp().request("DELETE", `/sessions/${encodeURIComponent(id)}`);
          } catch (error) {
            // Gone already, or the provider is down: this browser is signed out either way.
            if (!(error instanceof OfflineIdentityError && (error.status === 404 || error.status === 410))) {
              console.error("/api/offline/sign-out: the session could not be ended at the provider:", error);
            }
          }
        }
        return ok({ session: null }, SIGNED_OUT);
      }
      case "POST token": {
        only(body!, []);
        const session = await currentSession(request);
        const token = await onSession(session, "POST", "/token");
        if (!isObject(token) || typeof token.jwt !== "string") throw badResponse("token");
        return ok({ jwt: token.jwt });
      }
      case "GET accounts":
        return ok({ data: await accounts() });
      case "GET accounts/*":
        return ok({
          account: toAccount(
            await idp().request("GET", `/directory/users/${encodeURIComponent(pathId(second, "user"))}`),
          ),
        });
      case "GET organizations": {
        const session = await currentSession(request);
        return ok({
          data: listOf(await onSession(session, "GET", "/organizations"), "organization").map(toOrganization),
        });
      }
      case "POST organizations": {
        only(body!, ["name"]);
        const session = await currentSession(request);
        // The creator is the signed-in user, never one the page names.
        const org = await idp().request("POST", "/directory/organizations", {
          name: requiredString(body!, "name", 100),
          created_by: session.userId,
        });
        if (!isObject(org)) throw badResponse("organization");
        return ok({ organization: toOrganization({ role: CREATOR_ROLE, organization: org }) });
      }
      case "POST active-organization": {
        only(body!, ["organizationId"]);
        const orgId = body!.organizationId;
        if (orgId !== null && (typeof orgId !== "string" || !/^org_[A-Za-z0-9]{1,64}$/.test(orgId))) {
          throw invalid("organizationId must be an org_… id, or null for none.");
        }
        const session = await currentSession(request);
        const switched = toProviderSession(
          await onSession(session, "POST", "/active-organization", { organization_id: orgId }),
        );
        return ok({ session: await view(switched), token: switched.jwt }, sessionCookies(switched));
      }
      case "GET organizations/*/members": {
        const orgId = pathId(second, "org");
        const session = await currentSession(request);
        await requireMember(session, orgId);
        const [memberships, users] = await Promise.all([
          idp().request("GET", `/directory/organizations/${encodeURIComponent(orgId)}/memberships`),
          idp().request("GET", "/directory/users"),
        ]);
        const byId = new Map(listOf(users, "user").map((user) => [toAccount(user).id, toAccount(user)] as const));
        const members: OfflineMember[] = listOf(memberships, "membership").flatMap((membership) => {
          if (!isObject(membership) || typeof membership.user_id !== "string" || typeof membership.role !== "string") {
            throw badResponse("membership");
          }
          const account = byId.get(membership.user_id);
          return account === undefined ? [] : [{ role: membership.role, account }];
        });
        return ok({ data: members });
      }
      case "POST organizations/*/members": {
        only(body!, ["userId", "role"]);
        const orgId = pathId(second, "org");
        const userId = requiredString(body!, "userId", 100);
        if (!/^user_[A-Za-z0-9]{1,64}$/.test(userId)) throw invalid("userId must be a user_… id.");
        const newRole = role(body!);
        await requireAdmin(await currentSession(request), orgId);
        await idp().request("POST", `/directory/organizations/${encodeURIComponent(orgId)}/memberships`, {
          user_id: userId,
          role: newRole,
        });
        return ok({ ok: true });
      }
      case "PATCH organizations/*/members/*": {
        only(body!, ["role"]);
        const orgId = pathId(second, "org");
        const userId = pathId(fourth, "user");
        const newRole = role(body!);
        await requireAdmin(await currentSession(request), orgId);
        await idp().request(
          "PATCH",
          `/directory/organizations/${encodeURIComponent(orgId)}/memberships/${encodeURIComponent(userId)}`,
          { role: newRole },
        );
        return ok({ ok: true });
      }
      case "DELETE organizations/*/members/*": {
        only(body!, []);
        const orgId = pathId(second, "org");
        const userId = pathId(fourth, "user");
        await requireAdmin(await currentSession(request), orgId);
        await idp().request(
          "DELETE",
          `/directory/organizations/${encodeURIComponent(orgId)}/memberships/${encodeURIComponent(userId)}`,
        );
        return ok({ ok: true });
      }
      default:
        throw notFound();
    }
  }

  return async function handle(request: Request, segments: readonly string[]): Promise<Response> {
    const refused = crossSite(request);
    if (refused !== null) return refused;
    try {
      return respond(await route(request, segments));
    } catch (error) {
      if (error instanceof OfflineIdentityError) {
        const status = error.status === 0 ? 503 : error.status;
        return refusal(status, error.code, error.message, error.code === "session_ended" ? SIGNED_OUT : undefined);
      }
      console.error("/api/offline:", error);
      return refusal(500, "internal", "The offline sign-in failed; see the server's log.");
    }
  };
}

/** A Next.js catch-all route handler (`app/api/offline/[...path]/route.ts`). */
export type OfflineRouteHandler = (
  request: Request,
  context: { params: Promise<{ path?: string[] }> },
) => Promise<Response>;

/**
 * The routes as a Next.js catch-all handler for `/api/offline/[...path]`: export it as GET, POST,
 * PATCH and DELETE. `enabled` (default always) answers 404 when it returns false, e.g. in a build
 * that signs in with the real Clerk.
 */
export function createOfflineRouteHandler(options: {
  idp: () => IdpAdmin;
  enabled?: () => boolean;
}): OfflineRouteHandler {
  const handle = createOfflineRoutes({ idp: options.idp });
  return async (request, { params }) => {
    if (options.enabled !== undefined && !options.enabled()) {
      return Response.json({ error: { code: "not_found", message: "Not found." } }, { status: 404 });
    }
    return await handle(request, (await params).path ?? []);
  };
}

function notFound(): OfflineIdentityError {
  return new OfflineIdentityError(404, "not_found", "No such offline sign-in route.");
}

function sessionEnded(): OfflineIdentityError {
  return new OfflineIdentityError(401, "session_ended", "Your session has ended. Sign in again.");
}
