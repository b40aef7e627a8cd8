/**
 * The identity provider as the screens see it: an interface, and its implementation over the app's
 * own /api/offline routes (`createOfflineRouteHandler` in `./next`).
 *
 * The browser never talks to the provider: the routes hold its API key and keep the session in an
 * HttpOnly cookie. Tokens (60 s) come from `POST /api/offline/token` and are cached in memory.
 */
import { isSessionEnded, OfflineIdentityError } from "../shared/errors";
import type {
  NewOfflineAccount,
  OfflineAccount,
  OfflineDirectoryAccount,
  OfflineMember,
  OfflineOrganization,
  OfflineSession,
  OfflineSignIn,
} from "../shared/types";

export interface OfflineIdentityClient {
  /** Every account in the provider's directory (the demo users and anyone who signed up), with its memberships. */
  listAccounts(): Promise<OfflineDirectoryAccount[]>;
  getAccount(userId: string): Promise<OfflineAccount>;
  signIn(who: OfflineSignIn): Promise<OfflineSession>;
  /** Creates the account, then signs in as it. */
  signUp(account: NewOfflineAccount): Promise<OfflineSession>;
  signOut(): Promise<void>;
  /** A token for the current session and active organization; null when signed out. */
  getToken(options: { forceRefresh: boolean }): Promise<string | null>;
  listOrganizations(): Promise<OfflineOrganization[]>;
  setActiveOrganization(orgId: string): Promise<OfflineSession>;
  /** Creates an organization with the signed-in user as its admin (it does not switch to it). */
  createOrganization(name: string): Promise<OfflineOrganization>;
  /** The current session, checked with the provider; null when there is none (the cookies are cleared). */
  session(): Promise<OfflineSession | null>;
  /** An organization's members in the directory, oldest first. */
  listMembers(orgId: string): Promise<OfflineMember[]>;
  /** Adds a directory user to an organization (the provider sends `organizationMembership.created`). Admins only. */
  addMember(orgId: string, userId: string, role: string): Promise<void>;
  /** Changes a member's role (`organizationMembership.updated`). Admins only. */
  changeRole(orgId: string, userId: string, role: string): Promise<void>;
  /** Removes a member (`organizationMembership.deleted`); their sessions lose that organization. Admins only. */
  removeMember(orgId: string, userId: string): Promise<void>;
}

/** Reads a JWT's `exp` without verifying it (the backend verifies the token): only for the cache. */
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

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function badResponse(what: string): OfflineIdentityError {
  return new OfflineIdentityError(502, "bad_response", `The app's sign-in routes sent an unexpected ${what}.`);
}

function toSession(value: unknown): OfflineSession {
  if (
    !isObject(value) ||
    typeof value.sessionId !== "string" ||
    typeof value.userId !== "string" ||
    (value.activeOrgId !== null && typeof value.activeOrgId !== "string")
  ) {
    throw badResponse("session");
  }
  return { sessionId: value.sessionId, userId: value.userId, activeOrgId: value.activeOrgId };
}

function dataOf<T>(body: unknown, what: string): T[] {
  if (!isObject(body) || !Array.isArray(body.data)) throw badResponse(`${what} list`);
  return body.data as T[];
}

export type HttpOfflineIdentityClientOptions = {
  /** Where the app's /api/offline routes are: "" (this origin) in the browser. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Fetch a new token when the cached one has less than this left (tokens live 60 s). */
  refreshMarginMs?: number;
};

export function createHttpOfflineIdentityClient(options: HttpOfflineIdentityClientOptions = {}): OfflineIdentityClient {
  const baseUrl = `${(options.baseUrl ?? "").replace(/\/+$/, "")}/api/offline`;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const refreshMarginMs = options.refreshMarginMs ?? 15_000;
  /** The session the cache and tokens belong to: its handle and active organization. */
  let current: OfflineSession | null = null;
  let cached: { key: string; token: string; expiresAt: number } | null = null;
  let inflight: { key: string; promise: Promise<string> } | null = null;

  async function request(method: string, path: string, body?: Json): Promise<unknown> {
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}`, {
        method,
        // Every change is a JSON request from this origin: the routes refuse anything else.
        headers: method === "GET" ? {} : { "content-type": "application/json" },
        ...(method !== "GET" && { body: JSON.stringify(body ?? {}) }),
        cache: "no-store",
        credentials: "same-origin",
      });
    } catch {
      throw new OfflineIdentityError(
        0,
        "unreachable",
        "The app's sign-in routes did not answer. Is the app still running?",
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
      if (error.code === "session_ended") forget();
      throw new OfflineIdentityError(
        response.status,
        typeof error.code === "string" ? error.code : String(response.status),
        typeof error.message === "string" ? error.message : `${method} ${path} failed with ${response.status}.`,
      );
    }
    return parsed;
  }

  function forget() {
    current = null;
    cached = null;
    inflight = null;
  }

  function tokenKey(): string {
    return current === null ? "" : `${current.sessionId}:${current.activeOrgId ?? ""}`;
  }

  function cache(token: string) {
    cached = { key: tokenKey(), token, expiresAt: tokenExpiry(token) ?? Date.now() + 30_000 };
  }

  /** Keeps the token cache in step with a session the routes returned (with its first token, if any). */
  function remember(body: unknown): OfflineSession {
    if (!isObject(body)) throw badResponse("session");
    const session = toSession(body.session);
    const previous = tokenKey();
    current = session;
    if (typeof body.token === "string") cache(body.token);
    else if (tokenKey() !== previous) cached = null;
    return session;
  }

  async function fetchToken(): Promise<string> {
    const body = await request("POST", "/token");
    if (!isObject(body) || typeof body.jwt !== "string") throw badResponse("token");
    return body.jwt;
  }

  async function getToken({ forceRefresh }: { forceRefresh: boolean }): Promise<string | null> {
    if (current === null) return null;
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

  const membersPath = (orgId: string, userId?: string) =>
    `/organizations/${encodeURIComponent(orgId)}/members${userId === undefined ? "" : `/${encodeURIComponent(userId)}`}`;

  return {
    async listAccounts() {
      return dataOf<OfflineDirectoryAccount>(await request("GET", "/accounts"), "account");
    },

    async getAccount(userId) {
      const body = await request("GET", `/accounts/${encodeURIComponent(userId)}`);
      if (!isObject(body) || !isObject(body.account)) throw badResponse("account");
      return body.account as OfflineAccount;
    },

    async signIn(who) {
      forget();
      return remember(
        await request("POST", "/sign-in", "userId" in who ? { userId: who.userId } : { email: who.email }),
      );
    },

    async signUp(account) {
      forget();
      return remember(await request("POST", "/sign-up", { ...account }));
    },

    async signOut() {
      forget();
      await request("POST", "/sign-out");
    },

    getToken,

    async listOrganizations() {
      return dataOf<OfflineOrganization>(await request("GET", "/organizations"), "organization");
    },

    async setActiveOrganization(orgId) {
      return remember(await request("POST", "/active-organization", { organizationId: orgId }));
    },

    async createOrganization(name) {
      const body = await request("POST", "/organizations", { name });
      if (!isObject(body) || !isObject(body.organization)) throw badResponse("organization");
      return body.organization as OfflineOrganization;
    },

    async session() {
      const body = await request("GET", "/session");
      if (!isObject(body)) throw badResponse("session");
      if (body.session === null) {
        forget();
        return null;
      }
      return remember(body);
    },

    async listMembers(orgId) {
      return dataOf<OfflineMember>(await request("GET", membersPath(orgId)), "member");
    },

    async addMember(orgId, userId, role) {
      await request("POST", membersPath(orgId), { userId, role });
    },

    async changeRole(orgId, userId, role) {
      await request("PATCH", membersPath(orgId, userId), { role });
    },

    async removeMember(orgId, userId) {
      await request("DELETE", membersPath(orgId, userId));
    },
  };
}
