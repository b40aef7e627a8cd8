// @vitest-environment node
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startIdentityProvider, type IdentityProvider, type IdentityProviderOptions } from "../src/index";
import { call, tempDataDir } from "../src/testing";
import { CONFIG } from "./fixture";

const NORMAL = { object: "token_settings", default: { audience: "convex", organization_claims: true }, users: {} };

const data = tempDataDir();
let idp: IdentityProvider;

beforeAll(async () => {
  idp = await startIdentityProvider({ ...CONFIG, port: 0, dataDir: data.dir, quiet: true });
});
// Every test starts from normal tokens, whatever the one before it left.
afterEach(() => {
  idp.tokenSettings.reset();
});
afterAll(async () => {
  await idp?.close();
  data.remove();
});

const userId = (email: string) => idp.directory.listUsers({ email_address: email })[0]!.id;
const alice = () => userId("alice.johnson@example.com");
const acme = () => idp.directory.listOrganizations().find((o) => o.slug === "acme")!.id;

type Provider = { url: string; apiKey: string };

async function signIn(base: Provider, email: string) {
  const { status, json } = await call(base, "POST", "/sessions", { email_address: email });
  expect(status).toBe(201);
  return json as { id: string; user_id: string; last_active_token: { jwt: string } };
}

/** A fresh token's claims, after checking its signature and that its `aud` is `audience`. */
async function token(sessionId: string, audience = "convex", base: Provider = idp): Promise<JWTPayload> {
  const { status, json } = await call(base, "POST", `/sessions/${sessionId}/token`);
  expect(status).toBe(200);
  const jwks = createRemoteJWKSet(new URL(`${base.url}/.well-known/jwks.json`));
  return (await jwtVerify(json.jwt as string, jwks, { issuer: base.url, audience, algorithms: ["RS256"] })).payload;
}

const patch = (body: unknown) => call(idp, "PATCH", "/token-settings", body);

describe("token settings", () => {
  it("are normal until changed: aud convex and the organization claims", async () => {
    const { status, json } = await call(idp, "GET", "/token-settings");
    expect(status).toBe(200);
    expect(json).toEqual(NORMAL);
    expect((await call(idp, "GET", "/")).json.token_settings).toEqual(NORMAL);
    const payload = await token((await signIn(idp, "alice.johnson@example.com")).id);
    expect(payload.aud).toBe("convex");
    expect(payload.o).toMatchObject({ id: acme(), rol: "admin", slg: "acme" });
    expect(payload.fea).toBe("o:projects,o:tasks,o:usage");
  });

  it("change every user's aud, and show it at GET /", async () => {
    const session = await signIn(idp, "ben.carter@example.com");
    const changed = await patch({ audience: "not-convex" });
    expect(changed.status).toBe(200);
    expect(changed.json).toEqual({ ...NORMAL, default: { audience: "not-convex", organization_claims: true } });
    expect((await call(idp, "GET", "/token-settings")).json).toEqual(changed.json);
    expect((await call(idp, "GET", "/")).json.token_settings).toEqual(changed.json);

    const payload = await token(session.id, "not-convex");
    expect(payload.aud).toBe("not-convex");
    // Still Clerk-shaped otherwise: only the audience is wrong.
    expect(payload.o).toMatchObject({ slg: "acme", rol: "member" });
    const signedIn = await signIn(idp, "chloe.nguyen@example.com");
    expect(decodeJwt(signedIn.last_active_token.jwt).aud).toBe("not-convex");
    expect(idp.sessions.claims(signedIn.id).aud).toBe("not-convex");
  });

  it("with user_id change only that user's tokens", async () => {
    const aliceSession = await signIn(idp, "alice.johnson@example.com");
    const benSession = await signIn(idp, "ben.carter@example.com");
    const changed = await patch({ user_id: alice(), audience: "wrong-audience" });
    expect(changed.status).toBe(200);
    expect(changed.json).toEqual({ ...NORMAL, users: { [alice()]: { audience: "wrong-audience" } } });
    expect((await token(aliceSession.id, "wrong-audience")).aud).toBe("wrong-audience");
    expect((await token(benSession.id)).aud).toBe("convex");

    // A user's override wins over the default, field by field.
    await patch({ organization_claims: false });
    await patch({ user_id: alice(), organization_claims: true });
    expect((await call(idp, "GET", "/token-settings")).json.users).toEqual({
      [alice()]: { audience: "wrong-audience", organization_claims: true },
    });
    expect((await token(aliceSession.id, "wrong-audience")).o).toMatchObject({ slg: "acme" });
    expect((await token(benSession.id)).o).toBeUndefined();
  });

  it("without organization claims drop `o` and `fea` while the session keeps its active organization", async () => {
    const session = await signIn(idp, "alice.johnson@example.com");
    expect((await token(session.id)).o).toBeDefined();
    const changed = await patch({ organization_claims: false });
    expect(changed.status).toBe(200);
    expect(changed.json.default).toEqual({ audience: "convex", organization_claims: false });

    const payload = await token(session.id);
    expect(payload.o).toBeUndefined();
    expect(payload.fea).toBeUndefined();
    expect(payload).toMatchObject({ aud: "convex", sub: session.user_id, sid: session.id, v: 2 });
    const stored = await call(idp, "GET", `/sessions/${session.id}`);
    expect(stored.json.last_active_organization_id).toBe(acme());

    // Switching organizations still works; the token still leaves it out.
    const globex = idp.directory.listOrganizations().find((o) => o.slug === "globex")!.id;
    const ben = await signIn(idp, "ben.carter@example.com");
    const switched = await call(idp, "POST", `/sessions/${ben.id}/active-organization`, {
      organization_id: globex,
    });
    expect(switched.json.last_active_organization_id).toBe(globex);
    expect(decodeJwt(switched.json.last_active_token.jwt as string).o).toBeUndefined();
  });

  it("go back to normal with DELETE, for everyone or for one user", async () => {
    const aliceSession = await signIn(idp, "alice.johnson@example.com");
    const erin = userId("erin.walsh@example.com");
    await patch({ audience: "elsewhere", organization_claims: false });
    await patch({ user_id: alice(), audience: "alice-only" });
    await patch({ user_id: erin, organization_claims: true });

    const one = await call(idp, "DELETE", `/token-settings?user_id=${alice()}`);
    expect(one.status).toBe(200);
    expect(one.json).toEqual({
      object: "token_settings",
      default: { audience: "elsewhere", organization_claims: false },
      users: { [erin]: { organization_claims: true } },
    });
    expect((await token(aliceSession.id, "elsewhere")).o).toBeUndefined();

    const all = await call(idp, "DELETE", "/token-settings");
    expect(all.status).toBe(200);
    expect(all.json).toEqual(NORMAL);
    expect((await call(idp, "GET", "/")).json.token_settings).toEqual(NORMAL);
    const payload = await token(aliceSession.id);
    expect(payload.aud).toBe("convex");
    expect(payload.o).toMatchObject({ slg: "acme", rol: "admin" });
  });

  it("forget the override of a deleted user", async () => {
    const user = idp.directory.createUser({ email_address: "brief.visit@example.com" });
    await patch({ user_id: user.id, organization_claims: false });
    expect(Object.keys(idp.tokenSettings.view().users)).toEqual([user.id]);
    idp.directory.deleteUser(user.id);
    expect((await call(idp, "GET", "/token-settings")).json).toEqual(NORMAL);
  });

  it.each<[string, () => [string, string, unknown], number, RegExp]>([
    [
      "an unknown field",
      () => ["PATCH", "/token-settings", { aud: "x" }],
      400,
      /unknown field aud \(expected audience, organization_claims, user_id\)/,
    ],
    ["an empty audience", () => ["PATCH", "/token-settings", { audience: " " }], 400, /audience must not be empty/],
    [
      "an audience that is not a string",
      () => ["PATCH", "/token-settings", { audience: 7 }],
      400,
      /audience must be a string/,
    ],
    [
      "an audience with spaces",
      () => ["PATCH", "/token-settings", { audience: "con vex" }],
      400,
      /audience is malformed: expected one word without spaces/,
    ],
    [
      "an audience that is too long",
      () => ["PATCH", "/token-settings", { audience: "a".repeat(201) }],
      400,
      /audience must be at most 200 characters/,
    ],
    [
      "organization_claims that is not a boolean",
      () => ["PATCH", "/token-settings", { organization_claims: "no" }],
      400,
      /organization_claims must be true or false \(got "no"\)/,
    ],
    [
      "an unknown user",
      () => ["PATCH", "/token-settings", { user_id: "user_nobody", audience: "x" }],
      404,
      /No user user_nobody/,
    ],
    [
      "a malformed user id",
      () => ["PATCH", "/token-settings", { user_id: "alice", audience: "x" }],
      400,
      /user_id is malformed: expected an id like user_/,
    ],
    ["an empty update", () => ["PATCH", "/token-settings", {}], 400, /at least one of audience, organization_claims/],
    [
      "an update naming only the user",
      () => ["PATCH", "/token-settings", { user_id: alice() }],
      400,
      /at least one of audience, organization_claims/,
    ],
    [
      "an update without a body",
      () => ["PATCH", "/token-settings", undefined],
      400,
      /must be a JSON object with audience, organization_claims, user_id/,
    ],
    [
      "a reset of an unknown user",
      () => ["DELETE", "/token-settings?user_id=user_nobody", undefined],
      404,
      /No user user_nobody/,
    ],
    [
      "a reset with an empty user_id",
      () => ["DELETE", "/token-settings?user_id=", undefined],
      400,
      /user_id must not be empty/,
    ],
    [
      "a reset with a body",
      () => ["DELETE", "/token-settings", { user_id: alice() }],
      400,
      /takes no body; to clear one user's override use \?user_id=/,
    ],
    [
      "an unknown query parameter",
      () => ["DELETE", "/token-settings?user=x", undefined],
      400,
      /Unknown query parameter user \(expected user_id\)/,
    ],
  ])("refuse %s with a message naming the problem, and change nothing", async (_what, request, status, message) => {
    await patch({ user_id: alice(), audience: "before" });
    const before = (await call(idp, "GET", "/token-settings")).json;
    const [method, pathname, body] = request();
    const response = await call(idp, method, pathname, body);
    expect(response.status).toBe(status);
    expect(response.json.error.message).toMatch(message);
    expect((await call(idp, "GET", "/token-settings")).json).toEqual(before);
  });
});

describe("token settings across starts", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function run(dir: string, options: IdentityProviderOptions = {}) {
    const started = await startIdentityProvider({ ...CONFIG, port: 0, dataDir: dir, quiet: true, ...options });
    cleanups.push(started.close);
    return started;
  }

  it("are not persisted: a restart on the same data issues normal tokens", async () => {
    const dir = tempDataDir();
    cleanups.push(dir.remove);
    const first = await run(dir.dir);
    const session = await signIn(first, "alice.johnson@example.com");
    await call(first, "PATCH", "/token-settings", { audience: "not-convex", organization_claims: false });
    await call(first, "PATCH", "/token-settings", { user_id: session.user_id, audience: "alice-only" });
    expect((await token(session.id, "alice-only", first)).o).toBeUndefined();
    await first.close();

    const second = await run(dir.dir);
    expect((await call(second, "GET", "/token-settings")).json).toEqual(NORMAL);
    const payload = await token(session.id, "convex", second);
    expect(payload.aud).toBe("convex");
    expect(payload.o).toMatchObject({ slg: "acme", rol: "admin" });
  });

  it("say on stderr what changed tokens now carry, unless started quiet", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const stderr = vi.spyOn(console, "error").mockImplementation(() => {});
    const dir = tempDataDir();
    cleanups.push(dir.remove);
    const loud = await run(dir.dir, { quiet: false });
    const ben = loud.directory.listUsers({ email_address: "ben.carter@example.com" })[0]!.id;

    await call(loud, "PATCH", "/token-settings", { audience: "not-convex" });
    await call(loud, "PATCH", "/token-settings", { audience: "not-convex" });
    await call(loud, "PATCH", "/token-settings", { user_id: ben, organization_claims: false });
    await call(loud, "DELETE", `/token-settings?user_id=${ben}`);
    await call(loud, "DELETE", "/token-settings");
    await call(loud, "DELETE", "/token-settings");
    expect(stderr.mock.calls.map(([line]) => line as string)).toEqual([
      'offline identity provider: tokens for everyone now have aud "not-convex" (DELETE /token-settings to restore)',
      `offline identity provider: tokens for ${ben} now have aud "not-convex" and no organization claims ` +
        "(DELETE /token-settings to restore)",
      `offline identity provider: tokens for ${ben} now have aud "not-convex" (DELETE /token-settings to restore)`,
      "offline identity provider: tokens for everyone are normal again",
    ]);

    stderr.mockClear();
    const quietDir = tempDataDir();
    cleanups.push(quietDir.remove);
    const quiet = await run(quietDir.dir);
    await call(quiet, "PATCH", "/token-settings", { organization_claims: false });
    expect(stderr).not.toHaveBeenCalled();
  });
});
