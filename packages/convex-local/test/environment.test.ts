// @vitest-environment node
/**
 * What a deployment's functions see of their environment: the deployment's own URLs as
 * `CONVEX_CLOUD_URL` and `CONVEX_SITE_URL` (Convex docs "Environment Variables" → "System
 * environment variables"; convex-backend crates/udf/src/environment.rs), the variables set with
 * `npx convex env set` and nothing of the server process's environment, and in an HTTP action the
 * URL that was requested (convex-backend crates/local_backend/src/http_actions.rs builds it from the
 * scheme, the Host header and the path and query after the `/http` prefix).
 */
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { httpClient, simpleClient, startFixture } from "./support";

type Seen = {
  cloudUrl: string | null;
  siteUrl: string | null;
  names: string[];
  path: string | null;
  home: string | null;
};
const fromQuery = makeFunctionReference<"query", Record<string, never>, Seen>("environment:fromQuery");
const fromMutation = makeFunctionReference<"mutation", Record<string, never>, Seen>("environment:fromMutation");
const fromAction = makeFunctionReference<"action", Record<string, never>, Seen>("environment:fromAction");
const fromNodeAction = makeFunctionReference<
  "action",
  Record<string, never>,
  { global: Seen; imported: Seen; named: Seen }
>("nodeEnvironment:fromNodeAction");

/** A variable only the server process has: no function may see it. */
const SERVER_ONLY = "CONVEX_LOCAL_TEST_SERVER_ONLY";

let fixture: Awaited<ReturnType<typeof startFixture>>;
beforeAll(async () => {
  process.env[SERVER_ONLY] = "the server's own";
  fixture = await startFixture();
  await fixture.server.setEnv({ GREETING: "hello" });
});
afterAll(async () => {
  await fixture.close();
  delete process.env[SERVER_ONLY];
});

/** What every function must see: the two URLs and the deployment's variables, nothing else. */
function expectDeploymentEnvironment(seen: Seen) {
  expect(seen).toEqual({
    cloudUrl: fixture.server.url,
    siteUrl: fixture.server.siteUrl,
    names: ["AUTH_ISSUER_DOMAIN", "CONVEX_CLOUD_URL", "CONVEX_SITE_URL", "GREETING"],
    path: null,
    home: null,
  });
}

describe("deployment environment", () => {
  test("the server process has the variables functions must not see", () => {
    // Guards the tests below: they would pass vacuously in a process without these.
    expect(process.env.PATH).toBeTruthy();
    expect(process.env[SERVER_ONLY]).toBe("the server's own");
  });

  test("queries, mutations and actions see the backend's URLs and only the deployment's variables", async () => {
    const { client } = simpleClient(fixture.server.url);
    try {
      expectDeploymentEnvironment(await client.query(fromQuery, {}));
      expectDeploymentEnvironment(await client.mutation(fromMutation, {}));
      expectDeploymentEnvironment(await client.action(fromAction, {}));
    } finally {
      await client.close();
    }
    // The same over the HTTP API.
    expectDeploymentEnvironment(await httpClient(fixture.server.url).query(fromQuery, {}));
  });

  test('a "use node" action sees the same, through the global process and through node:process', async () => {
    const seen = await httpClient(fixture.server.url).action(fromNodeAction, {});
    expectDeploymentEnvironment(seen.global);
    expectDeploymentEnvironment(seen.imported);
    expectDeploymentEnvironment(seen.named);
  });

  test("a variable set or removed with env set is what the next call sees", async () => {
    const client = httpClient(fixture.server.url);
    await fixture.server.setEnv({ LATER: "set later" });
    expect((await client.action(fromAction, {})).names).toContain("LATER");
    expect((await client.action(fromNodeAction, {})).imported.names).toContain("LATER");
    await fixture.server.setEnv({ LATER: null });
    expect((await client.query(fromQuery, {})).names).not.toContain("LATER");
    expect((await client.action(fromNodeAction, {})).named.names).not.toContain("LATER");
  });

  test("the server's own code still sees its own environment after functions ran", async () => {
    await httpClient(fixture.server.url).action(fromNodeAction, {});
    expect(process.env[SERVER_ONLY]).toBe("the server's own");
    expect(process.env.GREETING).toBeUndefined();
  });
});

describe("HTTP actions", () => {
  type Answer = Seen & { url: string };
  const get = async (url: string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { headers });
    expect(response.status).toBe(200);
    return (await response.json()) as Answer;
  };

  test("see the deployment's environment", async () => {
    const { url: _url, ...seen } = await get(`${fixture.server.siteUrl}/environment`);
    expectDeploymentEnvironment(seen);
  });

  test("request.url is the URL requested on the site port: host, port, path and query as sent", async () => {
    const sitePort = new URL(fixture.server.siteUrl).port;
    expect((await get(`${fixture.server.siteUrl}/environment?a=1&b=two%20words`)).url).toBe(
      `${fixture.server.siteUrl}/environment?a=1&b=two%20words`,
    );
    expect((await get(`http://localhost:${sitePort}/environment?x`)).url).toBe(
      `http://localhost:${sitePort}/environment?x`,
    );
  });

  test("under /http/ on the deployment URL, request.url names that port and the path after the prefix", async () => {
    expect((await get(`${fixture.server.url}/http/environment?via=cloud`)).url).toBe(
      `${fixture.server.url}/environment?via=cloud`,
    );
  });

  test("behind a TLS-terminating proxy, the scheme comes from X-Forwarded-Proto", async () => {
    const { url } = await get(`${fixture.server.siteUrl}/environment`, { "x-forwarded-proto": "https" });
    expect(url).toBe(`${fixture.server.siteUrl.replace(/^http:/, "https:")}/environment`);
  });
});
