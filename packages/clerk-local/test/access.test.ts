// @vitest-environment node
/**
 * Who may use the identity provider: only holders of its API key (the app's server side, tools and
 * tests, which read it from the data directory) may change the directory, sign in or mint tokens;
 * no browser page may call it at all for anything but reading public keys; requests for other host
 * names are refused; what it keeps on disk is its owner's only.
 */
import { statSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeyPath, readApiKey, startIdentityProvider, type IdentityProvider } from "../src/index";
import { call, tempDataDir } from "../src/testing";
import { CONFIG } from "./fixture";

const data = tempDataDir();
let idp: IdentityProvider;

beforeAll(async () => {
  idp = await startIdentityProvider({ ...CONFIG, port: 0, dataDir: data.dir, quiet: true });
});
afterAll(async () => {
  await idp?.close();
  data.remove();
});

const acme = () => idp.directory.listOrganizations().find((o) => o.slug === "acme")!;
const alice = () => idp.directory.listUsers({ email_address: "alice.johnson@example.com" })[0]!;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Requests that change the directory, sign someone in or mint a token. */
function guarded(): [string, string, unknown?][] {
  const session = idp.sessions.create({ email_address: "ben.carter@example.com" });
  return [
    ["DELETE", `/directory/organizations/${acme().id}`],
    ["PATCH", `/directory/organizations/${acme().id}/memberships/${alice().id}`, { role: "org:viewer" }],
    ["POST", "/directory/users", { email_address: "mallory@example.com" }],
    ["POST", "/sessions", { email_address: "alice.johnson@example.com" }],
    ["POST", `/sessions/${session.id}/token`],
    ["GET", `/sessions/${session.id}/token`],
    ["POST", `/sessions/${session.id}/active-organization`, { organization_id: null }],
    ["PATCH", "/token-settings", { audience: "not-convex" }],
    ["POST", "/webhooks/resync"],
    ["GET", "/directory/users"],
    ["GET", `/sessions/${session.id}`],
  ];
}

describe("the API key", () => {
  it("is refused: no key or a wrong one gets 401, and nothing changes", async () => {
    const before = JSON.stringify([
      idp.directory.listUsers(),
      idp.directory.listOrganizations(),
      idp.tokenSettings.view(),
    ]);
    for (const [method, pathname, body] of guarded()) {
      for (const headers of [{}, bearer("oik_wrong"), bearer(`${idp.apiKey}x`), { authorization: idp.apiKey }]) {
        const answer = await call(idp.url, method, pathname, body, headers);
        expect(answer.status, `${method} ${pathname}`).toBe(401);
        expect(answer.json.error.code).toBe("unauthorized");
        expect(answer.json).not.toHaveProperty("jwt");
      }
    }
    const after = JSON.stringify([
      idp.directory.listUsers(),
      idp.directory.listOrganizations(),
      idp.tokenSettings.view(),
    ]);
    expect(after).toBe(before);
    expect(acme().name).toBe("Acme");
  });

  it("is accepted: with it, the same requests work", async () => {
    const session = await call(idp, "POST", "/sessions", { email_address: "alice.johnson@example.com" });
    expect(session.status).toBe(201);
    expect((await call(idp, "POST", `/sessions/${session.json.id}/token`)).json.jwt).toEqual(expect.any(String));
  });

  it("lives in the data directory, readable by its owner only, beside files as private", async () => {
    const file = apiKeyPath(data.dir);
    expect(readApiKey(file)).toBe(idp.apiKey);
    expect(idp.apiKey).toMatch(/^oik_[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(data.dir).mode & 0o777).toBe(0o700);
    for (const other of ["state.json", "signing-key.json", "webhook-secret"]) {
      expect(statSync(path.join(data.dir, other)).mode & 0o777).toBe(0o600);
    }
  });

  it("is not needed for what is public: discovery, keys, the index, the token settings and restoring them", async () => {
    for (const pathname of ["/", "/.well-known/openid-configuration", "/.well-known/jwks.json", "/token-settings"]) {
      expect((await call(idp.url, "GET", pathname)).status, pathname).toBe(200);
    }
    // Restoring normal tokens needs no key (the fix the app's banner prints); changing them does.
    expect((await call(idp.url, "DELETE", "/token-settings")).status).toBe(200);
    expect((await call(idp.url, "PATCH", "/token-settings", { audience: "x" })).status).toBe(401);
  });
});

describe("browsers", () => {
  const browserHeaders: Record<string, string>[] = [
    { origin: "http://localhost:3000" },
    { origin: "http://127.0.0.1:3000" },
    { origin: "https://evil.example" },
    { origin: "null" },
    { "sec-fetch-site": "cross-site" },
    { "sec-fetch-site": "same-site" },
  ];

  it("may not change anything or get a token, even with the key", async () => {
    for (const [method, pathname, body] of guarded()) {
      for (const headers of browserHeaders) {
        const answer = await call(idp, method, pathname, body, headers);
        expect(answer.status, `${method} ${pathname} ${JSON.stringify(headers)}`).toBe(403);
        expect(answer.headers.get("access-control-allow-origin")).toBeNull();
      }
    }
    const restore = await call(idp.url, "DELETE", "/token-settings", undefined, { origin: "http://localhost:3000" });
    expect(restore.status).toBe(403);
    expect(acme().name).toBe("Acme");
  });

  it("get no CORS grant: a preflight is not answered for any origin", async () => {
    const preflight = await call(idp.url, "OPTIONS", "/sessions", undefined, {
      origin: "http://localhost:3000",
      "access-control-request-method": "POST",
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("host names", () => {
  const withHost = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: idp.port, path: "/", headers: { host } });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });

  it("answers loopback names only, with any port (DNS rebinding)", async () => {
    expect(await withHost("evil.example")).toBe(421);
    expect(await withHost("evil.example:3212")).toBe(421);
    expect(await withHost("127.0.0.1.evil.example")).toBe(421);
    for (const host of ["localhost", "127.0.0.1:3212", "[::1]:3212", "[::1]", "LocalHost:1"]) {
      expect(await withHost(host), host).toBe(200);
    }
  });
});
