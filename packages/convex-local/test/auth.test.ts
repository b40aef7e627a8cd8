// @vitest-environment node
/**
 * Token verification as a deployment does it, with tokens from the project's identity provider (a
 * test issuer) and forgeries of them: each refused token gets the protocol's auth error (WebSocket) or a 401 (HTTP
 * API), and the function runs with no identity.
 */
import { makeFunctionReference } from "convex/server";
import { decodeJwt, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { startTestIssuer, type TestIssuer } from "./issuer";
import { eventually, httpClient, simpleClient, startFixture, watch } from "./support";

const whoami = makeFunctionReference<"query", Record<string, never>, { subject: string } | null>("messages:whoami");

let fixture: Awaited<ReturnType<typeof startFixture>>;
let stranger: TestIssuer;
let genuine: string;
let claims: JWTPayload;

beforeAll(async () => {
  fixture = await startFixture();
  // Another identity provider: valid tokens from an issuer auth.config.ts does not name.
  stranger = await startTestIssuer();
  genuine = await fixture.signIn("alice.johnson@example.com").token();
  claims = decodeJwt(genuine);
});
afterAll(async () => {
  await stranger.close();
  await fixture.close();
});

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Signs `overrides` over the genuine claims with the identity provider's own key. */
async function signed(overrides: JWTPayload): Promise<string> {
  return await fixture.issuer.sign({ ...claims, ...overrides });
}

const forgeries: [string, () => Promise<string>, RegExp][] = [
  [
    "a token from an issuer auth.config.ts does not name",
    () => stranger.signIn("alice.johnson@example.com").token(),
    /No auth provider found/,
  ],
  ["a token for another audience", () => signed({ aud: "not-convex" }), /No auth provider found/],
  [
    "an expired token",
    () => signed({ iat: Math.floor(Date.now() / 1000) - 300, exp: Math.floor(Date.now() / 1000) - 120 }),
    /expired/i,
  ],
  [
    "a token whose signature does not match its claims",
    async () => {
      const [header, , signature] = (await signed({})).split(".");
      return `${header}.${base64url({ ...claims, sub: "user_someone_else" })}.${signature}`;
    },
    /signature/,
  ],
  [
    "an unsigned token (alg none)",
    async () => `${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims)}.`,
    /algorithm/,
  ],
  [
    "an HS256 token keyed with the public key's modulus",
    async () => {
      const { publicJwk, kid } = fixture.issuer;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", kid, typ: "JWT" })
        .sign(new TextEncoder().encode(String(publicJwk.n)));
    },
    /algorithm/,
  ],
  [
    "a token signed by a key the provider does not publish",
    async () => {
      const { privateKey } = await generateKeyPair("RS256");
      return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "unknown-key", typ: "JWT" }).sign(privateKey);
    },
    /no key/i,
  ],
];

describe("accepted", () => {
  test("a session token from the project's identity provider, over WebSocket and HTTP", async () => {
    const { client } = simpleClient(fixture.server.url, async () => genuine);
    try {
      const seen = watch<{ subject: string } | null>((onValue, onError) =>
        client.onUpdate(whoami, {}, onValue, onError),
      );
      expect((await seen.until((v) => v !== null, "the identity"))?.subject).toBe(claims.sub);
    } finally {
      await client.close();
    }
    expect((await httpClient(fixture.server.url, genuine).query(whoami, {}))?.subject).toBe(claims.sub);
  });
});

describe.each(forgeries)("refused: %s", (_name, forge, reason) => {
  test("WebSocket: the client is told, gives up after its retries, and the query sees no identity", async () => {
    const token = await forge();
    let fetches = 0;
    const authChanges: boolean[] = [];
    const { client } = simpleClient(
      fixture.server.url,
      async () => {
        fetches += 1;
        return token;
      },
      (authenticated) => authChanges.push(authenticated),
    );
    try {
      const seen = watch<{ subject: string } | null>((onValue, onError) =>
        client.onUpdate(whoami, {}, onValue, onError),
      );
      await eventually(() => authChanges.includes(false), "the client giving up on the token", 10_000);
      expect(authChanges).not.toContain(true);
      // The first try plus the client's forced refresh: both refused.
      expect(fetches).toBeGreaterThan(1);
      await seen.until((v) => v === null, "the query's result without an identity");
      expect(seen.values.every((v) => v === null)).toBe(true);
    } finally {
      await client.close();
    }
  });

  test("WebSocket protocol: Authenticate is answered with AuthError naming the reason", async () => {
    const token = await forge();
    const socket = new WebSocket(`${fixture.server.url.replace("http", "ws")}/api/1.48.0/sync`);
    try {
      await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
      const reply = new Promise<{ type: string; error: string; baseVersion: number; authUpdateAttempted: boolean }>(
        (resolve) => socket.once("message", (data) => resolve(JSON.parse(data.toString()))),
      );
      socket.send(JSON.stringify({ type: "Connect", sessionId: "s", connectionCount: 0, lastCloseReason: null }));
      socket.send(JSON.stringify({ type: "Authenticate", tokenType: "User", value: token, baseVersion: 0 }));
      const message = await reply;
      expect(message).toMatchObject({ type: "AuthError", baseVersion: 0, authUpdateAttempted: true });
      expect(message.error).toMatch(reason);
    } finally {
      socket.close();
    }
  });

  test("HTTP API: 401 naming the reason, and nothing runs", async () => {
    const token = await forge();
    const response = await fetch(`${fixture.server.url}/api/query`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ path: "messages:whoami", format: "convex_encoded_json", args: [{}] }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { message: string }).message).toMatch(reason);
  });

  test("HTTP action: runs with no identity", async () => {
    const token = await forge();
    const response = await fetch(`${fixture.server.siteUrl}/send`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ body: "anonymous" }),
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { subject: string | null }).subject).toBeNull();
  });
});
