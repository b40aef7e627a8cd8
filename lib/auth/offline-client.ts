/**
 * The offline identity provider (offline/idp, `NEXT_PUBLIC_OFFLINE_IDP_URL`) as the offline adapter
 * sees it: an interface, and its implementation over the provider's HTTP API.
 *
 * The session id and active organization id live in cookies (`offline_session`, `offline_org`) so
 * middleware can route on the server; tokens (60 s) are fetched from the provider and cached in memory.
 */
import { OFFLINE_ORG_COOKIE, OFFLINE_SESSION_COOKIE } from "./offline-cookies";

export type OfflineAccount = {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  imageUrl: string | null;
};

/** A directory account with where it belongs, for choosing whom to sign in as. */
export type OfflineDirectoryAccount = OfflineAccount & {
  memberships: { organizationName: string; role: string }[];
};

export type OfflineOrganization = {
  id: string;
  name: string;
  slug: string | null;
  /** The caller's role in it, e.g. `org:admin`. */
  role: string;
  imageUrl: string | null;
};

/** A member of an organization in the provider's directory. */
export type OfflineMember = { role: string; account: OfflineAccount };

export type OfflineSession = { sessionId: string; userId: string; activeOrgId: string | null };

export type NewOfflineAccount = { firstName: string; lastName: string; email: string };

/** Who signs in: a listed account, or an email address. */
export type OfflineSignIn = { userId: string } | { email: string };

export interface OfflineIdentityClient {
  /** Every account in the provider's directory (the demo users and anyone who signed up), with its memberships. */
  listAccounts(): Promise<OfflineDirectoryAccount[]>;
  getAccount(userId: string): Promise<OfflineAccount>;
  signIn(who: OfflineSignIn): Promise<OfflineSession>;
  /** Creates the account, then signs in as it. */
  signUp(account: NewOfflineAccount): Promise<OfflineSession>;
  signOut(): Promise<void>;
  /** A Convex token for the current session and active organization; null when signed out. */
  getToken(options: { forceRefresh: boolean }): Promise<string | null>;
  listOrganizations(): Promise<OfflineOrganization[]>;
  setActiveOrganization(orgId: string): Promise<OfflineSession>;
  /** Creates an organization with `createdBy` as its admin (it does not switch to it). */
  createOrganization(name: string, createdBy: string): Promise<OfflineOrganization>;
  /** The current session, checked with the provider; null when there is none (the cookies are cleared). */
  session(): Promise<OfflineSession | null>;
  /** An organization's members in the directory, oldest first. */
  listMembers(orgId: string): Promise<OfflineMember[]>;
  /** Adds a directory user to an organization (the provider sends `organizationMembership.created`). */
  addMember(orgId: string, userId: string, role: string): Promise<void>;
  /** Changes a member's role (`organizationMembership.updated`). */
  changeRole(orgId: string, userId: string, role: string): Promise<void>;
  /** Removes a member (`organizationMembership.deleted`); their sessions lose that organization. */
  removeMember(orgId: string, userId: string): Promise<void>;
}

/** A refusal from the identity provider, with its HTTP status (0: unreachable) and code. */
export class OfflineIdentityError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "OfflineIdentityError";
    this.status = status;
    this.code = code;
  }
}

/** True when the error means the session is over (signed out elsewhere, revoked, or unknown to the provider). */
export function isSessionEnded(error: unknown): boolean {
  return error instanceof OfflineIdentityError && error.code === "session_ended";
}

/** Where the session and organization ids are kept between page loads. */
export interface OfflineSessionStore {
  get(name: string): string | null;
  set(name: string, value: string): void;
  remove(name: string): void;
}

const COOKIE_MAX_AGE_SECONDS = 60 * 60 * 24 * 30;

/** The browser's cookies (sent to middleware with the next request). */
const documentCookieStore: OfflineSessionStore = {
  get(name) {
    if (typeof document === "undefined") return null;
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
    return null;
  },
  set(name, value) {
    document.cookie = `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=${COOKIE_MAX_AGE_SECONDS}; SameSite=Lax`;
  },
  remove(name) {
    document.cookie = `${name}=; Path=/; Max-Age=0; SameSite=Lax`;
  },
};

/** Reads a JWT's `exp` without verifying it (Convex verifies the token): only for the cache. */
export function tokenExpiry(token: string): number | null {
  const payload = token.split(".")[1];
  if (payload === undefined) return null;
  try {
    const base64 = payload
      .replace(/-/g, "+")
      .replace(/_/g, "/")
      .padEnd(Math.ceil(payload.length / 4) * 4, "=");
    const claims: unknown = JSON.parse(atob(base64));
    return isObject(claims) && typeof claims.exp === "number" ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

// --- Wire format (offline/idp/README.md: Clerk's snake_case records) ------------------------------

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function badResponse(what: string): OfflineIdentityError {
  return new OfflineIdentityError(502, "bad_response", `The identity provider sent an unexpected ${what}.`);
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function listOf(body: unknown, what: string): unknown[] {
  if (!isObject(body) || !Array.isArray(body.data)) throw badResponse(`${what} list`);
  return body.data;
}

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

function toSession(value: unknown): OfflineSession & { status: string; jwt: string | null } {
  if (!isObject(value) || typeof value.id !== "string" || typeof value.user_id !== "string") {
    throw badResponse("session");
  }
  const token = value.last_active_token;
  return {
    sessionId: value.id,
    userId: value.user_id,
    activeOrgId: text(value.last_active_organization_id),
    status: typeof value.status === "string" ? value.status : "active",
    jwt: isObject(token) ? text(token.jwt) : null,
  };
}

// --- HTTP implementation --------------------------------------------------------------------------

export type HttpOfflineIdentityClientOptions = {
  baseUrl: string;
  store?: OfflineSessionStore;
  fetch?: typeof fetch;
  /** Fetch a new token when the cached one has less than this left (tokens live 60 s). */
  refreshMarginMs?: number;
};

export function createHttpOfflineIdentityClient(options: HttpOfflineIdentityClientOptions): OfflineIdentityClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const store = options.store ?? documentCookieStore;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const refreshMarginMs = options.refreshMarginMs ?? 15_000;
  let cached: { key: string; token: string; expiresAt: number } | null = null;
  let inflight: { key: string; promise: Promise<string> } | null = null;

  async function request(method: string, path: string, body?: Json): Promise<unknown> {
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        cache: "no-store",
      });
    } catch {
      throw new OfflineIdentityError(
        0,
        "unreachable",
        `The offline identity provider at ${baseUrl} is not reachable. Start the offline stack with npm run dev.`,
      );
    }
    const raw = await response.text();
    let parsed: unknown = null;
    try {
      parsed = raw === "" ? null : JSON.parse(raw);
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const error = isObject(parsed) && isObject(parsed.error) ? parsed.error : {};
      throw new OfflineIdentityError(
        response.status,
        typeof error.code === "string" ? error.code : String(response.status),
        typeof error.message === "string" ? error.message : `${method} ${path} failed with ${response.status}.`,
      );
    }
    return parsed;
  }

  function forget() {
    store.remove(OFFLINE_SESSION_COOKIE);
    store.remove(OFFLINE_ORG_COOKIE);
    cached = null;
    inflight = null;
  }

  function sessionPath(suffix = ""): string {
    const id = store.get(OFFLINE_SESSION_COOKIE);
    if (id === null) throw new OfflineIdentityError(401, "session_ended", "You are signed out. Sign in again.");
    return `/sessions/${encodeURIComponent(id)}${suffix}`;
  }

  /** A call on the current session: 410 (ended) or 404 (unknown, e.g. after a reset) signs out here too. */
  async function onSession(method: string, suffix: string, body?: Json): Promise<unknown> {
    try {
      return await request(method, sessionPath(suffix), body);
    } catch (error) {
      const unknownSession =
        error instanceof OfflineIdentityError && error.status === 404 && suffix !== "/active-organization";
      if (error instanceof OfflineIdentityError && (error.status === 410 || unknownSession)) {
        forget();
        throw new OfflineIdentityError(error.status, "session_ended", "Your session has ended. Sign in again.");
      }
      throw error;
    }
  }

  function membershipsPath(orgId: string, userId?: string): string {
    const base = `/directory/organizations/${encodeURIComponent(orgId)}/memberships`;
    return userId === undefined ? base : `${base}/${encodeURIComponent(userId)}`;
  }

  function tokenKey(): string {
    return `${store.get(OFFLINE_SESSION_COOKIE) ?? ""}:${store.get(OFFLINE_ORG_COOKIE) ?? ""}`;
  }

  function cache(token: string) {
    cached = { key: tokenKey(), token, expiresAt: tokenExpiry(token) ?? Date.now() + 30_000 };
  }

  /** Keeps the cookies (and the token cache) in step with a session the provider returned. */
  function remember(returned: unknown): OfflineSession {
    const { status, jwt, ...session } = toSession(returned);
    if (status !== "active") {
      forget();
      throw new OfflineIdentityError(410, "session_ended", "Your session has ended. Sign in again.");
    }
    const previous = tokenKey();
    store.set(OFFLINE_SESSION_COOKIE, session.sessionId);
    if (session.activeOrgId === null) store.remove(OFFLINE_ORG_COOKIE);
    else store.set(OFFLINE_ORG_COOKIE, session.activeOrgId);
    if (jwt !== null) cache(jwt);
    else if (tokenKey() !== previous) cached = null;
    return session;
  }

  async function fetchToken(): Promise<string> {
    const body = await onSession("POST", "/token");
    if (!isObject(body) || typeof body.jwt !== "string") throw badResponse("token");
    return body.jwt;
  }

  async function getToken({ forceRefresh }: { forceRefresh: boolean }): Promise<string | null> {
    if (store.get(OFFLINE_SESSION_COOKIE) === null) return null;
    const key = tokenKey();
    if (!forceRefresh && cached?.key === key && cached.expiresAt - refreshMarginMs > Date.now()) return cached.token;
    if (inflight?.key === key) return await inflight.promise;
    const promise = fetchToken();
    inflight = { key, promise };
    try {
      const token = await promise;
      // A sign-out or organization switch while this was in flight makes it stale: not worth caching.
      if (tokenKey() === key) cache(token);
      return token;
    } catch (error) {
      if (isSessionEnded(error)) return null;
      throw error;
    } finally {
      if (inflight?.promise === promise) inflight = null;
    }
  }

  return {
    async listAccounts() {
      const [users, organizations, memberships] = await Promise.all([
        request("GET", "/directory/users"),
        request("GET", "/directory/organizations"),
        request("GET", "/directory/memberships"),
      ]);
      const names = new Map<string, string>();
      for (const org of listOf(organizations, "organization")) {
        if (isObject(org) && typeof org.id === "string" && typeof org.name === "string") names.set(org.id, org.name);
      }
      const byUser = new Map<string, OfflineDirectoryAccount["memberships"]>();
      for (const membership of listOf(memberships, "membership")) {
        if (!isObject(membership) || typeof membership.user_id !== "string" || typeof membership.role !== "string") {
          continue;
        }
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
    },

    async getAccount(userId) {
      return toAccount(await request("GET", `/directory/users/${encodeURIComponent(userId)}`));
    },

    async signIn(who) {
      forget();
      const body = "userId" in who ? { user_id: who.userId } : { email_address: who.email };
      return remember(await request("POST", "/sessions", body));
    },

    async signUp({ firstName, lastName, email }) {
      const created = toAccount(
        await request("POST", "/directory/users", {
          email_address: email,
          ...(firstName !== "" && { first_name: firstName }),
          ...(lastName !== "" && { last_name: lastName }),
        }),
      );
      forget();
      return remember(await request("POST", "/sessions", { user_id: created.id }));
    },

    async signOut() {
      const id = store.get(OFFLINE_SESSION_COOKIE);
      forget();
      if (id === null) return;
      try {
        await request("DELETE", `/sessions/${encodeURIComponent(id)}`);
      } catch (error) {
        // Already gone on the provider: signed out either way.
        if (!(error instanceof OfflineIdentityError && (error.status === 404 || error.status === 410))) throw error;
      }
    },

    getToken,

    async listOrganizations() {
      return listOf(await onSession("GET", "/organizations"), "organization").map(toOrganization);
    },

    async setActiveOrganization(orgId) {
      return remember(await onSession("POST", "/active-organization", { organization_id: orgId }));
    },

    async createOrganization(name, createdBy) {
      const org = await request("POST", "/directory/organizations", { name, created_by: createdBy });
      if (!isObject(org)) throw badResponse("organization");
      // The creator is the new organization's admin.
      return toOrganization({ role: "org:admin", organization: org });
    },

    async session() {
      if (store.get(OFFLINE_SESSION_COOKIE) === null) return null;
      try {
        return remember(await onSession("GET", ""));
      } catch (error) {
        if (isSessionEnded(error)) return null;
        throw error;
      }
    },

    async listMembers(orgId) {
      const [memberships, users] = await Promise.all([
        request("GET", membershipsPath(orgId)),
        request("GET", "/directory/users"),
      ]);
      const accounts = new Map(
        listOf(users, "user").map((user) => {
          const account = toAccount(user);
          return [account.id, account] as const;
        }),
      );
      return listOf(memberships, "membership").flatMap((membership) => {
        if (!isObject(membership) || typeof membership.user_id !== "string" || typeof membership.role !== "string") {
          throw badResponse("membership");
        }
        const account = accounts.get(membership.user_id);
        return account === undefined ? [] : [{ role: membership.role, account }];
      });
    },

    async addMember(orgId, userId, role) {
      await request("POST", membershipsPath(orgId), { user_id: userId, role });
    },

    async changeRole(orgId, userId, role) {
      await request("PATCH", membershipsPath(orgId, userId), { role });
    },

    async removeMember(orgId, userId) {
      await request("DELETE", membershipsPath(orgId, userId));
    },
  };
}
