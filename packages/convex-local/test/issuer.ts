/**
 * A minimal OpenID issuer for the package's tests: OIDC discovery and a JWKS on 127.0.0.1, and RS256
 * tokens shaped like a hosted identity provider's session tokens (a nested organization claim `o`,
 * a session id `sid`, and `jti` / `nbf` / `fva`, which change on every refresh and a deployment drops).
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";

/** Who may sign in, by email: name, organization and role (the role without an `org:` prefix). */
const USERS: Record<string, { id: string; name: string; org: { id: string; slg: string; rol: string } }> = {
  "alice.johnson@example.com": {
    id: "user_alice",
    name: "Alice Johnson",
    org: { id: "org_acme", slg: "acme", rol: "admin" },
  },
  "ben.carter@example.com": {
    id: "user_ben",
    name: "Ben Carter",
    org: { id: "org_acme", slg: "acme", rol: "member" },
  },
};

export type TestIssuer = {
  /** The issuer (`iss`) and the `domain` auth.config.ts names. */
  url: string;
  kid: string;
  publicJwk: JWK;
  /** A new session for a known user; `token()` signs a fresh token for it. */
  signIn(email: string): { session: { id: string; user_id: string }; token: () => Promise<string> };
  /** Signs `claims` as they are with the published key (to forge variations of genuine tokens). */
  sign(claims: JWTPayload): Promise<string>;
  close(): Promise<void>;
};

export async function startTestIssuer(): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  const server = createServer((req, res) => {
    const json = (body: unknown) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.url === "/.well-known/openid-configuration") return json({ issuer: url, jwks_uri: `${url}/jwks.json` });
    if (req.url === "/jwks.json") return json({ keys: [publicJwk] });
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sign = (claims: JWTPayload) =>
    new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid, typ: "JWT" }).sign(privateKey);

  return {
    url,
    kid,
    publicJwk,
    signIn: (email) => {
      const user = USERS[email];
      if (user === undefined) throw new Error(`The test issuer knows no ${email}`);
      const session = { id: `sess_${randomUUID()}`, user_id: user.id };
      const token = () => {
        const iat = Math.floor(Date.now() / 1000);
        return sign({
          iss: url,
          sub: user.id,
          aud: "convex",
          iat,
          nbf: iat - 5,
          exp: iat + 60,
          jti: randomUUID(),
          sid: session.id,
          fva: [0, -1],
          email,
          name: user.name,
          o: user.org,
        });
      };
      return { session, token };
    },
    sign,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
