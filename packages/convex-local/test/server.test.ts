// @vitest-environment node
/**
 * The local server against the real clients of the `convex` package: live queries, mutations,
 * actions, HTTP actions, scheduled functions, errors, logs and pagination journals.
 */
import { makeFunctionReference, type PaginationResult } from "convex/server";
import { ConvexError, type Value } from "convex/values";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { eventually, httpClient, reactClient, simpleClient, startFixture, watch } from "./support";

type Message = { body: string; via: string };
type Stored = { _id: string; body: string; via: string };
const list = makeFunctionReference<"query", Record<string, never>, Message[]>("messages:list");
const pageDesc = makeFunctionReference<
  "query",
  { paginationOpts: { numItems: number; cursor: string | null } },
  PaginationResult<Stored>
>("messages:page");
const whoami = makeFunctionReference<"query", Record<string, never>, Record<string, unknown> | null>("messages:whoami");
const send = makeFunctionReference<"mutation", { body: string }, string>("messages:send");
const note = makeFunctionReference<"mutation", { note: string }, string>("messages:note");
const sendLater = makeFunctionReference<"mutation", { body: string; delayMs: number }, null>("messages:sendLater");
const refuse = makeFunctionReference<"mutation", Record<string, never>, null>("messages:refuse");
const sendFromAction = makeFunctionReference<"action", { body: string }, string>("messages:sendFromAction");
const insert = makeFunctionReference<"mutation", { body: string; via: string }, string>("messages:insert");

let fixture: Awaited<ReturnType<typeof startFixture>>;
const cleanups: (() => unknown)[] = [];
const bodies = (messages: Message[] | undefined) => (messages ?? []).map((m) => m.body);

beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function client() {
  const made = simpleClient(fixture.server.url);
  cleanups.push(() => made.client.close());
  return made;
}

describe("live queries", () => {
  test("two clients subscribed: one mutates, the other receives the new result", async () => {
    const { client: a } = client();
    const { client: b } = client();
    const seenByA = watch<Message[]>((onValue, onError) => a.onUpdate(list, {}, onValue, onError));
    const seenByB = watch<Message[]>((onValue, onError) => b.onUpdate(list, {}, onValue, onError));
    await seenByA.until((v) => Array.isArray(v), "A's first result");
    await seenByB.until((v) => Array.isArray(v), "B's first result");

    await a.mutation(send, { body: "hello from A" });
    await seenByB.until((v) => bodies(v).includes("hello from A"), "B seeing A's message");
    // The mutation resolves only after its own client has seen its write.
    expect(bodies(seenByA.latest())).toContain("hello from A");
  });

  test("the ConvexReactClient behind ConvexProvider receives another client's writes", async () => {
    const { client: writer } = client();
    const { client: react } = reactClient(fixture.server.url);
    cleanups.push(() => react.close());
    const watched = react.watchQuery(list, {});
    const values: Message[][] = [];
    const unsubscribe = watched.onUpdate(() => {
      const value = watched.localQueryResult();
      if (value !== undefined) values.push(value);
    });
    cleanups.push(unsubscribe);
    await eventually(() => values.length > 0, "the React client's first result");
    await writer.mutation(send, { body: "for the react client" });
    await eventually(() => values.some((v) => bodies(v).includes("for the react client")), "the React client's update");
  });

  test("a write to a table the query does not read sends it nothing", async () => {
    const { client: a } = client();
    const seen = watch<Message[]>((onValue, onError) => a.onUpdate(list, {}, onValue, onError));
    await seen.until((v) => Array.isArray(v), "first result");
    const before = seen.values.length;
    await a.mutation(note, { note: "not a message" });
    await a.mutation(send, { body: "a message" });
    await seen.until((v) => bodies(v).includes("a message"), "the message");
    // One new result (the message), none for the audit row.
    expect(seen.values.length).toBe(before + 1);
  });

  test("an action's writes reach subscribers, and its result reaches the caller", async () => {
    const { client: a } = client();
    const { client: b } = client();
    const seen = watch<Message[]>((onValue, onError) => b.onUpdate(list, {}, onValue, onError));
    await seen.until((v) => Array.isArray(v), "B's first result");
    const id = await a.action(sendFromAction, { body: "from an action" });
    expect(typeof id).toBe("string");
    const value = await seen.until((v) => bodies(v).includes("from an action"), "the action's write");
    expect(value.find((m) => m.body === "from an action")?.via).toBe("action");
  });

  test("an HTTP action's writes reach subscribers", async () => {
    const { client: b } = client();
    const seen = watch<Message[]>((onValue, onError) => b.onUpdate(list, {}, onValue, onError));
    await seen.until((v) => Array.isArray(v), "B's first result");
    const { session, token } = fixture.signIn("ben.carter@example.com");
    const response = await fetch(`${fixture.server.siteUrl}/send`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await token()}` },
      body: JSON.stringify({ body: "from an HTTP action" }),
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { subject: string }).subject).toBe(session.user_id);
    const value = await seen.until((v) => bodies(v).includes("from an HTTP action"), "the HTTP action's write");
    expect(value.find((m) => m.body === "from an HTTP action")?.via).toBe("http");
    // A path the router does not know gets the router's 404.
    expect((await fetch(`${fixture.server.siteUrl}/nowhere`)).status).toBe(404);
  });

  test("a scheduled function's write reaches subscribers", async () => {
    const { client: a } = client();
    const { client: b } = client();
    const seen = watch<Message[]>((onValue, onError) => b.onUpdate(list, {}, onValue, onError));
    await seen.until((v) => Array.isArray(v), "B's first result");
    await a.mutation(sendLater, { body: "from the scheduler", delayMs: 50 });
    const value = await seen.until((v) => bodies(v).includes("from the scheduler"), "the scheduled write");
    expect(value.find((m) => m.body === "from the scheduler")?.via).toBe("scheduler");
  });
});

describe("errors and logs", () => {
  test("a ConvexError arrives with its data over WebSocket and HTTP", async () => {
    const { client: a } = client();
    const error = await a.mutation(refuse, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConvexError);
    expect((error as ConvexError<Value>).data).toEqual({ code: "forbidden", message: "Not for you", limits: [1, 2] });

    const viaHttp = await httpClient(fixture.server.url)
      .mutation(refuse, {})
      .catch((e: unknown) => e);
    expect(viaHttp).toBeInstanceOf(ConvexError);
    expect((viaHttp as ConvexError<Value>).data).toEqual({ code: "forbidden", message: "Not for you", limits: [1, 2] });
  });

  test("internal functions are not callable from clients", async () => {
    const { client: a } = client();
    await expect(a.mutation(insert, { body: "sneaky", via: "client" })).rejects.toThrow(
      /Could not find public function for 'messages:insert'/,
    );
  });

  test("function logs reach the client's log lines", async () => {
    const { client: a, logs } = client();
    const seen = watch<Message[]>((onValue, onError) => a.onUpdate(list, {}, onValue, onError));
    await seen.until((v) => Array.isArray(v), "first result");
    await eventually(() => logs.some((line) => line.includes("listing messages")), "the query's log line");
    await a.action(sendFromAction, { body: "logged" });
    await eventually(() => logs.some((line) => line.includes("action running")), "the action's log line");
  });
});

describe("HTTP API", () => {
  test("ConvexHttpClient queries, mutates and acts", async () => {
    const http = httpClient(fixture.server.url);
    await http.mutation(send, { body: "over HTTP" });
    expect(bodies(await http.query(list, {}))).toContain("over HTTP");
    expect(typeof (await http.action(sendFromAction, { body: "HTTP action call" }))).toBe("string");
    expect(await http.consistentQuery(whoami, {})).toBeNull();
  });

  test("a malformed request gets a 400 naming the problem, an unknown path a 404", async () => {
    const bad = await fetch(`${fixture.server.url}/api/query`, { method: "POST", body: "{not json" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/not JSON/);
    expect((await fetch(`${fixture.server.url}/api/nothing`, { method: "POST", body: "{}" })).status).toBe(404);
  });
});

describe("pagination", () => {
  test("pages keep their ends through their journals: new rows grow a page, never skip or repeat", async () => {
    const { client: a } = client();
    const run = Date.now();
    for (const n of [1, 2, 3, 4, 5]) await a.mutation(send, { body: `p${n}-${run}` });
    const ours = (result: PaginationResult<Stored> | undefined) =>
      (result?.page ?? []).map((m) => m.body).filter((body) => body.endsWith(`-${run}`));

    // Newest first, two per page, as usePaginatedQuery subscribes: page two starts at page one's cursor.
    const first = watch<PaginationResult<Stored>>((onValue, onError) =>
      a.onUpdate(pageDesc, { paginationOpts: { numItems: 2, cursor: null } }, onValue, onError),
    );
    const firstPage = await first.until((v) => v.page.length === 2, "page one");
    expect(ours(firstPage)).toEqual([`p5-${run}`, `p4-${run}`]);
    const second = watch<PaginationResult<Stored>>((onValue, onError) =>
      a.onUpdate(pageDesc, { paginationOpts: { numItems: 2, cursor: firstPage.continueCursor } }, onValue, onError),
    );
    const secondPage = await second.until((v) => v.page.length === 2, "page two");
    expect(ours(secondPage)).toEqual([`p3-${run}`, `p2-${run}`]);

    // Another client's new row sorts into page one: page one grows to three rows (its end stays
    // where it was), and page two neither loses p3 to it nor shifts.
    await client().client.mutation(send, { body: `p6-${run}` });
    const grown = await first.until((v) => v.page.length === 3, "page one growing live");
    expect(ours(grown)).toEqual([`p6-${run}`, `p5-${run}`, `p4-${run}`]);
    expect(grown.continueCursor).toBe(firstPage.continueCursor);
    expect(ours(second.latest())).toEqual([`p3-${run}`, `p2-${run}`]);

    // The same query from a new subscriber (no journal) starts over with two rows.
    const fresh = await httpClient(fixture.server.url).query(pageDesc, {
      paginationOpts: { numItems: 2, cursor: null },
    });
    expect(ours(fresh)).toEqual([`p6-${run}`, `p5-${run}`]);
  });
});

describe("identity", () => {
  test("sessions that agree on every claim a query read share one run; others get their own", async () => {
    const mine = makeFunctionReference<"query", Record<string, never>, { subject: string | null; count: number }>(
      "messages:mine",
    );
    const sessions = [
      fixture.signIn("alice.johnson@example.com"),
      fixture.signIn("alice.johnson@example.com"),
      fixture.signIn("alice.johnson@example.com"),
      fixture.signIn("ben.carter@example.com"),
    ];
    const watchers = sessions.map(({ token }) => {
      const made = simpleClient(fixture.server.url, token);
      cleanups.push(() => made.client.close());
      return {
        made,
        seen: watch<{ subject: string | null; count: number }>((onValue, onError) =>
          made.client.onUpdate(mine, {}, onValue, onError),
        ),
      };
    });
    for (const [index, { seen }] of watchers.entries()) {
      await seen.until((v) => v.subject === sessions[index]!.session.user_id, `session ${index}'s own subject`);
    }
    const { stats } = fixture.server.engine;
    const runs = () => stats.queryRuns.get("messages:mine") ?? 0;
    const runsBefore = runs();
    await watchers[0]!.made.client.mutation(send, { body: "counted for Alice" });
    for (const [index, { seen }] of watchers.entries()) {
      const expected = index < 3 ? 1 : 0;
      await seen.until((v) => v.count === expected, `session ${index}'s count after Alice's message`);
    }
    // Alice's three sessions (different `sid`, same `subject`) shared one run; Ben had his own.
    expect(runs() - runsBefore).toBe(2);
  });

  test("a signed-in client's functions see the token's claims as a deployment passes them", async () => {
    const { session, token } = fixture.signIn("alice.johnson@example.com");
    let authenticated: boolean | undefined;
    const made = simpleClient(fixture.server.url, token, (value) => (authenticated = value));
    cleanups.push(() => made.client.close());
    const seen = watch<Record<string, unknown> | null>((onValue, onError) =>
      made.client.onUpdate(whoami, {}, onValue, onError),
    );
    const identity = await seen.until((v) => v !== null, "the identity");
    expect(authenticated).toBe(true);
    expect(identity).toMatchObject({
      subject: session.user_id,
      issuer: fixture.issuer.url,
      tokenIdentifier: `${fixture.issuer.url}|${session.user_id}`,
      email: "alice.johnson@example.com",
      name: "Alice Johnson",
      sid: session.id,
    });
    // A nested claim stays one claim for a `domain` (OIDC) provider.
    expect(identity?.o).toMatchObject({ rol: "admin", slg: "acme" });
    // Claims that change on every refresh are dropped, as a deployment drops them.
    for (const dropped of ["fva", "nbf", "jti", "iat", "exp", "aud", "iss", "sub"])
      expect(identity).not.toHaveProperty(dropped);
  });
});
