// @vitest-environment node
// The Next.js helpers an app's glue is made of: the catch-all route handler, the middleware on the
// offline cookies, the server-side session token, and the API key read from the provider's data dir.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startIdentityProvider, type IdentityProvider } from "../src/index";
import {
  apiKeyFromFile,
  createIdpAdmin,
  createOfflineMiddleware,
  createOfflineRouteHandler,
  createSessionTokenGetter,
  OFFLINE_ORG_COOKIE,
  OFFLINE_SESSION_COOKIE,
  OfflineIdentityError,
} from "../src/next";
import { APP_ORIGIN, tempDataDir } from "../src/testing";
import { CONFIG } from "./fixture";

const cookieJar = vi.hoisted(() => new Map<string, string>());
vi.mock("next/headers", () => ({
  cookies: async () => ({
    get: (name: string) => (cookieJar.has(name) ? { name, value: cookieJar.get(name)! } : undefined),
  }),
}));

const data = tempDataDir();
let idp: IdentityProvider;

beforeAll(async () => {
  idp = await startIdentityProvider({ ...CONFIG, port: 0, dataDir: data.dir, quiet: true });
});
afterAll(async () => {
  await idp?.close();
  data.remove();
});

const admin = () => createIdpAdmin({ baseUrl: idp.url, key: apiKeyFromFile(idp.apiKeyFile) });

describe("createOfflineRouteHandler", () => {
  it("answers /api/offline/<path> from the route's params, and 404 when not enabled", async () => {
    let enabled = true;
    const handler = createOfflineRouteHandler({ idp: admin, enabled: () => enabled });
    const request = () => new Request(`${APP_ORIGIN}/api/offline/accounts`, { headers: { host: "localhost:3000" } });
    const answer = await handler(request(), { params: Promise.resolve({ path: ["accounts"] }) });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { data: unknown[] }).data).toHaveLength(5);
    enabled = false;
    expect((await handler(request(), { params: Promise.resolve({ path: ["accounts"] }) })).status).toBe(404);
  });
});

describe("createOfflineMiddleware", () => {
  const decide = vi.fn((input: { pathname: string; signedIn: boolean; hasOrg: boolean }) =>
    input.pathname === "/dashboard" && !input.signedIn ? "/sign-in" : null,
  );
  const middleware = createOfflineMiddleware(decide);

  it("tells the app's rule what the cookies say, and redirects where it answers", () => {
    const anonymous = middleware(new NextRequest(`${APP_ORIGIN}/dashboard?x=1`));
    expect(anonymous.headers.get("location")).toBe(`${APP_ORIGIN}/sign-in`);
    expect(decide).toHaveBeenLastCalledWith({ pathname: "/dashboard", search: "?x=1", signedIn: false, hasOrg: false });

    const signedIn = new NextRequest(`${APP_ORIGIN}/dashboard`, {
      headers: { cookie: `${OFFLINE_SESSION_COOKIE}=sess_abc; ${OFFLINE_ORG_COOKIE}=org_abc` },
    });
    expect(middleware(signedIn).headers.get("location")).toBeNull();
    expect(decide).toHaveBeenLastCalledWith({ pathname: "/dashboard", search: "", signedIn: true, hasOrg: true });
  });
});

describe("createSessionTokenGetter", () => {
  const getToken = createSessionTokenGetter({ idp: admin });

  it("mints a token for the session in the cookie, and gives null without one or once it ended", async () => {
    cookieJar.clear();
    expect(await getToken()).toBeNull();
    cookieJar.set(OFFLINE_SESSION_COOKIE, "not-a-session");
    expect(await getToken()).toBeNull();

    const session = idp.sessions.create({ email_address: "alice.johnson@example.com" });
    cookieJar.set(OFFLINE_SESSION_COOKIE, session.id);
    const token = await getToken();
    expect(token).toEqual(expect.any(String));
    expect(JSON.parse(Buffer.from(token!.split(".")[1]!, "base64url").toString())).toMatchObject({ sid: session.id });

    idp.sessions.end(session.id);
    expect(await getToken()).toBeNull();
  });
});

describe("apiKeyFromFile", () => {
  it("reads the key again when the provider refuses the one it has (the provider was reset)", async () => {
    const file = path.join(data.dir, "copied-key");
    writeFileSync(file, "oik_stale\n");
    const stale = createIdpAdmin({ baseUrl: idp.url, key: apiKeyFromFile(file) });
    // Read once (stale), refused, read again (still stale): the app is told how to fix it.
    await expect(stale.request("GET", "/directory/users")).rejects.toMatchObject({
      status: 503,
      code: "misconfigured",
    });
    writeFileSync(file, `${idp.apiKey}\n`);
    expect(await stale.request("GET", "/directory/users")).toMatchObject({ total_count: 5 });
  });

  it("says where it looked, and the app's help, when the file cannot be read", () => {
    const key = apiKeyFromFile(path.join(data.dir, "missing"), { help: "Start the stack first." });
    expect(() => key(false)).toThrow(OfflineIdentityError);
    expect(() => key(false)).toThrow(/missing\)\. Start the stack first\./);
  });
});
