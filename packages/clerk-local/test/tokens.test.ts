// @vitest-environment node
import { __experimental_JWTPayloadToAuthObjectProperties as clerkAuthFromClaims } from "@clerk/shared/jwtPayloadParser";
import type { JwtPayload } from "@clerk/shared/types";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIdentityProvider, TOKEN_LIFETIME_SECONDS, type IdentityProvider } from "../src/index";
import { call, tempDataDir } from "../src/testing";
import { CONFIG, ROLES } from "./fixture";

const data = tempDataDir();
let idp: IdentityProvider;

beforeAll(async () => {
  idp = await startIdentityProvider({ ...CONFIG, port: 0, dataDir: data.dir, quiet: true });
});
afterAll(async () => {
  await idp?.close();
  data.remove();
});

async function signIn(email: string, extra: Record<string, unknown> = {}) {
  const { status, json } = await call(idp, "POST", "/sessions", { email_address: email, ...extra });
  expect(status).toBe(201);
  return json as {
    id: string;
    user_id: string;
    last_active_organization_id: string | null;
    last_active_token: { jwt: string };
  };
}

async function verify(jwt: string) {
  const jwks = createRemoteJWKSet(new URL(`${idp.url}/.well-known/jwks.json`));
  return jwtVerify(jwt, jwks, { issuer: idp.url, audience: "convex", algorithms: ["RS256"] });
}

async function freshToken(sessionId: string) {
  const { status, json } = await call(idp, "POST", `/sessions/${sessionId}/token`);
  expect(status).toBe(200);
  expect(json.object).toBe("token");
  return (await verify(json.jwt as string)).payload;
}

describe("azp", () => {
  it("is absent by default and the origin asked for with ?azp=", async () => {
    const session = await signIn("alice.johnson@example.com");
    expect((await freshToken(session.id)).azp).toBeUndefined();
    const { status, json } = await call(idp, "GET", `/sessions/${session.id}/token?azp=http://localhost:3000`);
    expect(status).toBe(200);
    expect((await verify(json.jwt as string)).payload.azp).toBe("http://localhost:3000");
  });

  it("must be an origin", async () => {
    const session = await signIn("alice.johnson@example.com");
    const { status, json } = await call(idp, "GET", `/sessions/${session.id}/token?azp=http://localhost:3000/app`);
    expect(status).toBe(400);
    expect(JSON.stringify(json)).toMatch(/azp must be an origin/);
  });
});

describe("discovery", () => {
  it("names its own base URL as issuer and points at its JWKS", async () => {
    const { status, json } = await call(idp, "GET", "/.well-known/openid-configuration");
    expect(status).toBe(200);
    expect(json.issuer).toBe(idp.url);
    expect(idp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(json.jwks_uri).toBe(`${idp.url}/.well-known/jwks.json`);
  });

  it("publishes one public RS256 key with a kid, and nothing private", async () => {
    const { json } = await call(idp, "GET", "/.well-known/jwks.json");
    expect(json.keys).toHaveLength(1);
    expect(json.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", kid: expect.any(String) });
    expect(Object.keys(json.keys[0]).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
  });
});

describe("session tokens", () => {
  it("verify against the JWKS with Clerk's session token v2 claims", async () => {
    const session = await signIn("alice.johnson@example.com");
    const { payload, protectedHeader } = await verify(session.last_active_token.jwt);
    const { json: jwks } = await call(idp, "GET", "/.well-known/jwks.json");
    const acme = idp.directory.listOrganizations().find((o) => o.slug === "acme")!;
    expect(protectedHeader).toMatchObject({ alg: "RS256", kid: jwks.keys[0].kid });
    expect(payload).toMatchObject({
      iss: idp.url,
      aud: "convex",
      sub: session.user_id,
      sid: session.id,
      v: 2,
      email: "alice.johnson@example.com",
      name: "Alice Johnson",
      fea: "o:projects,o:tasks,o:usage",
      o: { id: acme.id, rol: "admin", slg: "acme", per: "manage,write,read", fpm: "1,2,4" },
    });
    expect(payload.sub).toMatch(/^user_[A-Za-z0-9]{27}$/);
    expect(payload.sid).toMatch(/^sess_[A-Za-z0-9]{27}$/);
  });

  it("expire 60 seconds after they are issued and are fresh on every request", async () => {
    const session = await signIn("ben.carter@example.com");
    const payload = await freshToken(session.id);
    expect(TOKEN_LIFETIME_SECONDS).toBe(60);
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload.nbf!).toBeLessThanOrEqual(payload.iat!);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
    const { json } = await call(idp, "GET", `/sessions/${session.id}/token`);
    expect(decodeProtectedHeader(json.jwt as string).alg).toBe("RS256");
  });

  it.each([
    ["alice.johnson@example.com", "org:admin"],
    ["ben.carter@example.com", "org:member"],
    ["chloe.nguyen@example.com", "org:viewer"],
    ["diego.ramirez@example.com", "org:billing"],
  ] as const)(
    "carry %s's %s permissions so that Clerk's own parser reads back the configured table",
    async (email, role) => {
      const session = await signIn(email);
      const payload = await freshToken(session.id);
      const auth = clerkAuthFromClaims(payload as unknown as JwtPayload);
      expect(auth.orgRole).toBe(role);
      expect(auth.orgSlug).toBe("acme");
      expect(auth.orgPermissions ?? []).toEqual(ROLES[role]);
    },
  );

  it("follow the active organization, and lose it with the membership", async () => {
    const session = await signIn("ben.carter@example.com");
    const globex = idp.directory.listOrganizations().find((o) => o.slug === "globex")!;
    expect((await freshToken(session.id)).o).toMatchObject({ slg: "acme", rol: "member" });

    const switched = await call(idp, "POST", `/sessions/${session.id}/active-organization`, {
      organization_id: globex.id,
    });
    expect(switched.status).toBe(200);
    expect(switched.json.last_active_organization_id).toBe(globex.id);
    expect((await verify(switched.json.last_active_token.jwt as string)).payload.o).toMatchObject({ slg: "globex" });
    expect((await freshToken(session.id)).o).toMatchObject({ id: globex.id, slg: "globex", rol: "member" });

    const mine = await call(idp, "GET", `/sessions/${session.id}/organizations`);
    expect(
      mine.json.data.map((m: { organization: { slug: string }; role: string }) => [m.organization.slug, m.role]),
    ).toEqual([
      ["acme", "org:member"],
      ["globex", "org:member"],
    ]);

    idp.directory.removeMember(globex.id, session.user_id);
    expect((await call(idp, "GET", `/sessions/${session.id}/organizations`)).json.total_count).toBe(1);
    const after = await freshToken(session.id);
    expect(after.o).toBeUndefined();
    expect(after.fea).toBeUndefined();
    expect(idp.sessions.get(session.id).last_active_organization_id).toBeNull();
  });

  it("start with no organization when asked, and for users without one", async () => {
    const none = await signIn("alice.johnson@example.com", { organization_id: null });
    expect((await freshToken(none.id)).o).toBeUndefined();
    const loner = idp.directory.createUser({ email_address: "sam.loner@example.com", first_name: "Sam" });
    const session = idp.sessions.create({ user_id: loner.id });
    expect(session.last_active_organization_id).toBeNull();
    expect((await freshToken(session.id)).o).toBeUndefined();
  });

  it("are refused once the session is signed out or its user deleted", async () => {
    const session = await signIn("chloe.nguyen@example.com");
    expect((await call(idp, "DELETE", `/sessions/${session.id}`)).json.status).toBe("ended");
    const ended = await call(idp, "POST", `/sessions/${session.id}/token`);
    expect(ended.status).toBe(410);
    expect(ended.json.error.message).toMatch(/signed out/);

    const user = idp.directory.createUser({ email_address: "short.lived@example.com" });
    const doomed = idp.sessions.create({ user_id: user.id });
    idp.directory.deleteUser(user.id);
    const revoked = await call(idp, "GET", `/sessions/${doomed.id}/token`);
    expect(revoked.status).toBe(410);
    expect(revoked.json.error.message).toMatch(/revoked/);
  });
});

describe("HTTP API", () => {
  it("gives pages no CORS grant and no token, from any origin; the app's server, with the key, gets one", async () => {
    for (const origin of ["http://localhost:3000", "http://127.0.0.1:3000", "https://evil.example"]) {
      const preflight = await call(idp.url, "OPTIONS", "/sessions/sess_x/token", undefined, { origin });
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    }
    const session = await signIn("alice.johnson@example.com");
    const fromPage = await call(idp, "POST", `/sessions/${session.id}/token`, undefined, {
      origin: "http://localhost:3000",
    });
    expect(fromPage.status).toBe(403);
    expect(fromPage.json).not.toHaveProperty("jwt");
    const fromServer = await call(idp, "POST", `/sessions/${session.id}/token`);
    expect(fromServer.status).toBe(200);
    expect((await verify(fromServer.json.jwt as string)).payload.sub).toBe(session.user_id);
  });

  const acme = () => idp.directory.listOrganizations().find((o) => o.slug === "acme")!.id;
  const alice = () => idp.directory.listUsers({ email_address: "alice.johnson@example.com" })[0]!.id;
  it.each<[string, () => [string, string, unknown], number, RegExp]>([
    ["a misspelt field", () => ["POST", "/directory/users", { email: "x@example.com" }], 400, /unknown field email/],
    [
      "a malformed email",
      () => ["POST", "/directory/users", { email_address: "nope" }],
      400,
      /email_address is malformed/,
    ],
    ["a taken email", () => ["POST", "/directory/users", { email_address: "alice.johnson@example.com" }], 409, /taken/],
    ["an empty update", () => ["PATCH", `/directory/users/${alice()}`, {}], 400, /at least one of/],
    [
      "a malformed id",
      () => ["GET", "/directory/users/bob", undefined],
      400,
      /id is malformed: expected an id like user_/,
    ],
    ["an unknown user", () => ["GET", "/directory/users/user_nobody", undefined], 404, /No user user_nobody/],
    [
      "an unknown role",
      () => ["POST", `/directory/organizations/${acme()}/memberships`, { user_id: alice(), role: "owner" }],
      400,
      /"owner" is not a role/,
    ],
    [
      "a missing role",
      () => ["PATCH", `/directory/organizations/${acme()}/memberships/${alice()}`, {}],
      400,
      /role is required/,
    ],
    [
      "a second membership",
      () => ["POST", `/directory/organizations/${acme()}/memberships`, { user_id: alice(), role: "member" }],
      409,
      /already a member/,
    ],
    [
      "a taken slug",
      () => ["POST", "/directory/organizations", { name: "Acme 2", slug: "acme", created_by: alice() }],
      409,
      /slug acme/,
    ],
    [
      "a bad slug",
      () => ["POST", "/directory/organizations", { name: "X", slug: "Not A Slug", created_by: alice() }],
      400,
      /slug is malformed/,
    ],
    [
      "an organization without creator",
      () => ["POST", "/directory/organizations", { name: "X" }],
      400,
      /created_by is required/,
    ],
    ["a sign-in naming nobody", () => ["POST", "/sessions", {}], 400, /exactly one of user_id or email_address/],
    [
      "a sign-in into a foreign org",
      () => ["POST", "/sessions", { email_address: "erin.walsh@example.com", organization_id: acme() }],
      400,
      /not a member/,
    ],
    ["a body that is not JSON", () => ["POST", "/directory/users", "{nope"], 400, /not valid JSON/],
    [
      "an unknown query parameter",
      () => ["GET", "/directory/users?mail=x", undefined],
      400,
      /Unknown query parameter mail/,
    ],
    ["an unknown endpoint", () => ["GET", "/directory/teams", undefined], 404, /No endpoint/],
    [
      "a wrong method",
      () => ["PUT", "/directory/users", { email_address: "p@example.com" }],
      405,
      /PUT is not allowed/,
    ],
  ])("refuses %s with a message naming the problem", async (_what, request, status, message) => {
    const [method, pathname, body] = request();
    const response = await call(idp, method, pathname, body);
    expect(response.status).toBe(status);
    expect(response.json.error.message).toMatch(message);
  });
});
