// @vitest-environment node
/**
 * The local server against a hostile local client: shared results that must not leak between
 * different arguments, numbers from the wire that must not move the clock, pagination that a
 * client cannot stretch, claims that cannot impersonate, limits per connection, and what the
 * server shows about the machine it runs on.
 */
import { statSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { makeFunctionReference, type PaginationResult } from "convex/server";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { identityFromCustomJwtClaims, identityFromOidcClaims } from "../src";
import { encodeTs } from "../src/protocol";
import { CONNECTION_LIMITS } from "../src/session";
import {
  connectMessage,
  eventually,
  FIXTURE_DIR,
  httpClient,
  rawSync,
  simpleClient,
  startFixture,
  watch,
} from "./support";

type Message = { body: string; via: string };
type Stored = { _id: string; body: string; via: string };
const list = makeFunctionReference<"query", Record<string, never>, Message[]>("messages:list");
const echo = makeFunctionReference<"query", { value: unknown }, { value: unknown }>("messages:echo");
const double = makeFunctionReference<"query", { n: unknown }, number>("messages:double");
const failing = makeFunctionReference<"query", Record<string, never>, null>("messages:failing");
const whoami = makeFunctionReference<"query", Record<string, never>, Record<string, unknown> | null>("messages:whoami");
const send = makeFunctionReference<"mutation", { body: string }, string>("messages:send");
const sendMany = makeFunctionReference<"mutation", { prefix: string; count: number }, null>("messages:sendMany");
const pageDesc = makeFunctionReference<
  "query",
  { paginationOpts: { numItems: number; cursor: string | null; endCursor?: string | null } },
  PaginationResult<Stored>
>("messages:page");

let fixture: Awaited<ReturnType<typeof startFixture>>;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function client(token?: () => Promise<string | null>) {
  const made = simpleClient(fixture.server.url, token);
  cleanups.push(() => made.client.close());
  return made.client;
}

async function raw() {
  const connection = await rawSync(fixture.server.url);
  cleanups.push(() => connection.close());
  return connection;
}

/** A subscriber to `messages:list` whose updates show the server still serves everyone. */
async function bystander() {
  const watcher = client();
  const seen = watch<Message[]>((onValue, onError) => watcher.onUpdate(list, {}, onValue, onError));
  await seen.until((v) => Array.isArray(v), "the bystander's first result");
  return {
    seen,
    /** Resolves once a write by another client reaches the bystander. */
    stillServed: async (what: string) => {
      const body = `still served: ${what} ${Math.random()}`;
      await client().mutation(send, { body });
      await seen.until((v) => v.some((m) => m.body === body), `the bystander's update after ${what}`);
    },
  };
}

const runs = (udfPath: string) => fixture.server.engine.stats.queryRuns.get(udfPath) ?? 0;

describe("shared query results", () => {
  test("arguments whose JSON looks alike but whose Convex values differ get their own results", async () => {
    const http = httpClient(fixture.server.url);
    expect((await http.query(echo, { value: Number.NaN })).value).toBeNaN();
    expect((await http.query(echo, { value: null })).value).toBeNull();
    expect((await http.query(echo, { value: new Uint8Array([1, 2]).buffer })).value).toBeInstanceOf(ArrayBuffer);
    expect((await http.query(echo, { value: {} })).value).toEqual({});
    expect(Object.is((await http.query(echo, { value: -0 })).value, -0)).toBe(true);
    expect(Object.is((await http.query(echo, { value: 0 })).value, 0)).toBe(true);
    expect((await http.query(echo, { value: 5n })).value).toBe(5n);
  });

  test("a WebSocket subscriber's result is not served to an HTTP caller whose arguments differ", async () => {
    const subscriber = client();
    const seen = watch<{ value: unknown }>((onValue, onError) =>
      subscriber.onUpdate(echo, { value: { shared: null } }, onValue, onError),
    );
    await seen.until((v) => v !== undefined, "the subscriber's result");
    const { value } = await httpClient(fixture.server.url).query(echo, { value: { shared: Number.NaN } });
    expect((value as { shared: unknown }).shared).toBeNaN();
  });

  test("a refused argument does not poison the call whose argument only looks the same", async () => {
    const http = httpClient(fixture.server.url);
    // No token, a null where a number belongs: refused by the validator.
    await expect(http.query(double, { n: null })).rejects.toThrow(/Validator|validator|n/);
    // NaN is a number: it must run, not get the refusal above.
    expect(await http.query(double, { n: Number.NaN })).toBeNaN();
  });

  test("an error is never served from the shared cache", async () => {
    const http = httpClient(fixture.server.url);
    const before = runs("messages:failing");
    await expect(http.query(failing, {})).rejects.toThrow(/always fails/);
    await expect(http.query(failing, {})).rejects.toThrow(/always fails/);
    expect(runs("messages:failing") - before).toBe(2);
  });
});

describe("the commit clock", () => {
  test("a Connect claiming the largest timestamp gets an error, and the clock does not move", async () => {
    const watched = await bystander();
    const hostile = await raw();
    hostile.send(connectMessage({ maxObservedTimestamp: encodeTs(2n ** 64n - 1n) }));
    await hostile.next((m) => m.type === "FatalError", "the hostile client's error");
    await hostile.closed;
    expect(fixture.server.engine.internals.currentTs()).toBeLessThan(2n ** 63n);
    await watched.stillServed("the hostile Connect");
    await fixture.server.flush();
    const { readFileSync } = await import("node:fs");
    const stored = JSON.parse(readFileSync(path.join(fixture.server.dataDir, "db.json"), "utf8")) as {
      lastCommitTs: string;
    };
    expect(BigInt(stored.lastCommitTs)).toBeLessThan(2n ** 63n);
  });

  test.each<[string, unknown[]]>([
    [
      "a query id past u32",
      [
        {
          type: "ModifyQuerySet",
          baseVersion: 0,
          newVersion: 1,
          modifications: [{ type: "Add", queryId: 2 ** 32, udfPath: "messages:list", args: [{}] }],
        },
      ],
    ],
    [
      "a negative query id",
      [
        {
          type: "ModifyQuerySet",
          baseVersion: 0,
          newVersion: 1,
          modifications: [{ type: "Add", queryId: -1, udfPath: "messages:list", args: [{}] }],
        },
      ],
    ],
    [
      "a fractional query id",
      [{ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications: [{ type: "Remove", queryId: 1.5 }] }],
    ],
    [
      "a query-set version that does not move forward",
      [{ type: "ModifyQuerySet", baseVersion: 0, newVersion: 0, modifications: [] }],
    ],
    [
      "a query-set version past u32",
      [{ type: "ModifyQuerySet", baseVersion: 0, newVersion: 2 ** 53, modifications: [] }],
    ],
    [
      "a request id past u32",
      [{ type: "Mutation", requestId: 2 ** 53, udfPath: "messages:send", args: [{ body: "x" }] }],
    ],
    [
      "an identity version that is not the current one",
      [{ type: "Authenticate", tokenType: "None", baseVersion: 2 ** 31 }],
    ],
    ["a timestamp that is not 8 bytes", [connectMessage({ maxObservedTimestamp: "AAAA" })]],
    ["a client clock that is not a number", [connectMessage({ clientTs: "soon" })]],
  ])("%s gets that client an error and leaves everyone else served", async (what, messages) => {
    const watched = await bystander();
    const tsBefore = fixture.server.engine.internals.currentTs();
    const hostile = await raw();
    for (const message of messages) hostile.send(message);
    const error = await hostile.next((m) => m.type === "FatalError", "the error");
    expect(String(error.error)).not.toMatch(/Internal error/);
    await hostile.closed;
    expect(hostile.messages.filter((m) => m.type === "Transition")).toEqual([]);
    expect(fixture.server.engine.internals.currentTs()).toBe(tsBefore);
    await watched.stillServed(what);
  });
});

describe("pagination journals", () => {
  beforeAll(async () => {
    await httpClient(fixture.server.url).mutation(sendMany, { prefix: "bulk-", count: 60 });
  });

  test("a client-written journal cannot stretch a page past twice its numItems", async () => {
    const hostile = await raw();
    hostile.send(connectMessage());
    hostile.send({
      type: "ModifyQuerySet",
      baseVersion: 0,
      newVersion: 1,
      modifications: [
        {
          type: "Add",
          queryId: 0,
          udfPath: "messages:page",
          args: [{ paginationOpts: { numItems: 5, cursor: null } }],
          journal: JSON.stringify({ endCursor: "_end_cursor" }),
        },
      ],
    });
    const transition = await hostile.next((m) => m.type === "Transition", "the page");
    const [update] = transition.modifications as { type: string; value: PaginationResult<Stored> }[];
    expect(update?.type).toBe("QueryUpdated");
    expect(update!.value.page.length).toBeLessThanOrEqual(10);
    expect(update!.value.pageStatus).toBe("SplitRequired");
    expect(typeof update!.value.splitCursor).toBe("string");
  });

  test("nor can an endCursor in the arguments, over HTTP", async () => {
    const result = await httpClient(fixture.server.url).query(pageDesc, {
      paginationOpts: { numItems: 5, cursor: null, endCursor: "_end_cursor" },
    });
    expect(result.page.length).toBeLessThanOrEqual(10);
    expect(result.pageStatus).toBe("SplitRequired");
    expect(result.continueCursor).toBe("_end_cursor");
  });

  test("the real client splits a page that outgrew the bound and ends up with every row, each page bounded", async () => {
    const reader = client();
    const values: { results: Stored[]; status: string }[] = [];
    const paginated = makeFunctionReference<
      "query",
      { paginationOpts: { numItems: number; cursor: string | null } },
      Stored
    >("messages:page");
    const unsubscribe = reader.onPaginatedUpdate_experimental(
      paginated,
      {} as never,
      { initialNumItems: 5 },
      (value) => {
        values.push(value as unknown as { results: Stored[]; status: string });
      },
    );
    cleanups.push(unsubscribe);
    await eventually(() => values.some((v) => v.results.length === 5), "the first page");
    // Newer rows sort into page one (newest first), past twice its size.
    const prefix = `grow-${Date.now()}-`;
    await client().mutation(sendMany, { prefix, count: 25 });
    const ours = (v: { results: Stored[] }) => v.results.filter((m) => m.body.startsWith(prefix)).length;
    await eventually(() => values.some((v) => ours(v) === 25 && v.status !== "LoadingMore"), "all 25 new rows", 10_000);
  });
});

describe("claims", () => {
  test("custom claims named like the standard fields never override them", async () => {
    const genuine = await fixture.signIn("alice.johnson@example.com").token();
    const claims = decodeJwt(genuine);
    const forged = await fixture.issuer.sign({
      ...claims,
      subject: "user_someone_else",
      tokenIdentifier: "https://evil.example|user_someone_else",
      issuer: "https://evil.example",
      pictureUrl: "https://evil.example/me.png",
      emailVerified: true,
    });
    const reader = client(async () => forged);
    const seen = watch<Record<string, unknown> | null>((onValue, onError) =>
      reader.onUpdate(whoami, {}, onValue, onError),
    );
    const identity = await seen.until((v) => v !== null, "the identity");
    expect(identity).toMatchObject({
      subject: claims.sub,
      issuer: claims.iss,
      tokenIdentifier: `${claims.iss}|${claims.sub}`,
    });
    expect(identity).not.toHaveProperty("pictureUrl");
    expect(identity).not.toHaveProperty("emailVerified");
  });

  test("OIDC: standard claims come only from their JWT names", () => {
    const identity = identityFromOidcClaims({
      iss: "https://issuer.example",
      sub: "user_1",
      aud: "convex",
      website: "https://alice.example",
      picture: "https://alice.example/p.png",
      pictureUrl: "https://evil.example/p.png",
      subject: "user_2",
      o: { id: "org_1" },
    });
    expect(identity).toMatchObject({
      subject: "user_1",
      issuer: "https://issuer.example",
      tokenIdentifier: "https://issuer.example|user_1",
      websiteUrl: "https://alice.example",
      pictureUrl: "https://alice.example/p.png",
      o: { id: "org_1" },
    });
  });

  test("customJwt: nested claims are flattened and none replaces subject, issuer or tokenIdentifier", () => {
    const identity = identityFromCustomJwtClaims({
      iss: "https://issuer.example",
      sub: "user_1",
      o: { id: "org_1", subject: "nested" },
      subject: "user_2",
      issuer: "https://evil.example",
      tokenIdentifier: "x",
      fva: [1, -1],
    });
    expect(identity).toEqual({
      subject: "user_1",
      issuer: "https://issuer.example",
      tokenIdentifier: "https://issuer.example|user_1",
      "o.id": "org_1",
      "o.subject": "nested",
    });
  });
});

describe("limits per connection", () => {
  test("a message adding a thousand subscriptions is refused with an error naming the limit, and none of them runs", async () => {
    const watched = await bystander();
    const before = runs("messages:echo");
    const hostile = await raw();
    hostile.send(connectMessage());
    hostile.send({
      type: "ModifyQuerySet",
      baseVersion: 0,
      newVersion: 1,
      modifications: Array.from({ length: 1000 }, (_, queryId) => ({
        type: "Add",
        queryId,
        udfPath: "messages:echo",
        args: [{ value: `hostile ${queryId}` }],
      })),
    });
    const error = await hostile.next((m) => m.type === "FatalError", "the refusal");
    expect(String(error.error)).toMatch(/subscriptions|queries/i);
    await hostile.closed;
    expect(runs("messages:echo") - before).toBe(0);
    await watched.stillServed("a thousand subscriptions");
  });

  test("subscriptions up to the limit, over many messages, still leave other clients' updates prompt", async () => {
    const watched = await bystander();
    const hostile = await raw();
    hostile.send(connectMessage());
    let version = 0;
    let queryId = 0;
    // Every one reads `messages`, so every write re-runs all of them.
    for (let batch = 0; batch < 20; batch += 1) {
      hostile.send({
        type: "ModifyQuerySet",
        baseVersion: version,
        newVersion: version + 1,
        modifications: Array.from({ length: 50 }, () => ({
          type: "Add",
          queryId: queryId++,
          udfPath: "messages:page",
          args: [{ paginationOpts: { numItems: 1 + (queryId % 7), cursor: null, id: queryId } }],
        })),
      });
      version += 1;
    }
    // Whether refused at the limit or served, the bystander's write and update stay quick.
    const started = Date.now();
    await watched.stillServed("many subscriptions");
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  test("a connection holding as many subscriptions as it may still leaves other clients' updates prompt", async () => {
    const watched = await bystander();
    const hostile = await raw();
    hostile.send(connectMessage());
    const limit = CONNECTION_LIMITS.queries;
    hostile.send({
      type: "ModifyQuerySet",
      baseVersion: 0,
      newVersion: 1,
      modifications: Array.from({ length: limit }, (_, queryId) => ({
        type: "Add",
        queryId,
        udfPath: "messages:page",
        args: [{ paginationOpts: { numItems: 1 + (queryId % 7), cursor: null, id: queryId } }],
      })),
    });
    const first = await hostile.next((m) => m.type === "Transition", "the hostile client's results");
    expect((first.modifications as unknown[]).length).toBe(limit);
    for (let round = 0; round < 3; round += 1) {
      const started = Date.now();
      await watched.stillServed(`write ${round} with ${limit} subscriptions re-running`);
      expect(Date.now() - started).toBeLessThan(300);
    }
    expect(hostile.isClosed()).toBe(false);
  });
});

describe("what the server shows and keeps", () => {
  test("the database file is readable by its owner only, in a directory only its owner can enter", async () => {
    await client().mutation(send, { body: "written to disk" });
    await fixture.server.flush();
    expect(statSync(path.join(fixture.server.dataDir, "db.json")).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(fixture.server.dataDir, "ids.json")).mode & 0o777).toBe(0o600);
    expect(statSync(fixture.server.dataDir).mode & 0o777).toBe(0o700);
  });

  const withHost = (url: string, host: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const target = new URL(url);
      const req = request({
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        headers: { host, ...headers },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("upgrade", (_res, socket) => {
        socket.destroy();
        resolve(101);
      });
      req.on("error", reject);
      req.end();
    });

  test("requests naming a host that is not loopback are refused (DNS rebinding)", async () => {
    const { url, siteUrl } = fixture.server;
    expect(await withHost(`${url}/version`, "evil.example:3210")).toBe(421);
    expect(await withHost(`${siteUrl}/send`, "evil.example")).toBe(421);
    const upgrade = {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    };
    expect(await withHost(`${url}/api/1.48.0/sync`, "evil.example", upgrade)).toBe(421);
    // Loopback names, any port, are served.
    for (const host of ["localhost", "127.0.0.1:3210", "[::1]:3210", "LOCALHOST:1"]) {
      expect(await withHost(`${url}/version`, host)).toBe(200);
    }
    expect(await withHost(`${url}/api/1.48.0/sync`, "localhost", upgrade)).toBe(101);
  });

  test("no local file path reaches an HTTP caller: not in the banner, not in a function's error", async () => {
    const paths = [FIXTURE_DIR, fixture.server.dataDir, fixture.dataDir, tmpdir(), process.cwd()];
    for (const endpoint of ["/", "/version"]) {
      const text = await (await fetch(`${fixture.server.url}${endpoint}`)).text();
      for (const local of paths) expect(text).not.toContain(local);
    }
    const error = await httpClient(fixture.server.url)
      .query(failing, {})
      .catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/always fails/);
    for (const local of paths) expect((error as Error).message).not.toContain(local);
    expect((error as Error).message).not.toMatch(/file:\/\//);
  });
});
