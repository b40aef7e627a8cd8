// @vitest-environment node
/**
 * Fuzzing the local server's wire input (seeded, so every run tries the same inputs): sync
 * messages with out-of-range numbers, wrong types, huge arrays and unknown types, and HTTP API
 * bodies of every wrong shape. Each one gets an error for the client that sent it, nothing else;
 * another client still receives its query updates, and nothing persisted changes.
 */
import { makeFunctionReference } from "convex/server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeTs } from "../src/protocol";
import { CONNECTION_LIMITS } from "../src/session";
import { connectMessage, rawSync, simpleClient, startFixture, watch, type RawServerMessage } from "./support";

const SEED = 20261117;
const list = makeFunctionReference<"query", Record<string, never>, { body: string }[]>("messages:list");
const send = makeFunctionReference<"mutation", { body: string }, string>("messages:send");

let fixture: Awaited<ReturnType<typeof startFixture>>;
let bystander: { close: () => Promise<void>; stillServed: (what: string) => Promise<void> };

beforeAll(async () => {
  fixture = await startFixture();
  const { client } = simpleClient(fixture.server.url);
  const { client: writer } = simpleClient(fixture.server.url);
  const seen = watch<{ body: string }[]>((onValue, onError) => client.onUpdate(list, {}, onValue, onError));
  await seen.until((v) => Array.isArray(v), "the bystander's first result");
  bystander = {
    close: async () => {
      await client.close();
      await writer.close();
    },
    stillServed: async (what) => {
      const body = `bystander after ${what} ${Math.random()}`;
      await writer.mutation(send, { body });
      await seen.until((v) => v.some((m) => m.body === body), `the bystander's update after ${what}`);
    },
  };
});
afterAll(async () => {
  await bystander.close();
  await fixture.close();
});

/** Everything committed, as it would be written to disk. */
const persisted = () => JSON.stringify(fixture.server.engine.internals.snapshot().documents);

// ── Building blocks ──────────────────────────────────────────────────────────────────────────────

const U32_MAX = 2 ** 32 - 1;
/** Numbers a u32 field must refuse: negative, too large, fractional. */
const outOfRange = fc.oneof(
  fc.integer({ min: -(2 ** 40), max: -1 }),
  fc.integer({ min: U32_MAX + 1, max: Number.MAX_SAFE_INTEGER }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }).filter((x) => !Number.isInteger(x)),
  fc.constantFrom(1e300, -1e300, 2 ** 64),
);
/** Values of the wrong JSON type for a number field. */
const notANumber = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);
const badNumber = fc.oneof(outOfRange, notANumber);
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.constant({}));
/** Argument values a deployment refuses: malformed encodings, reserved names, past the limits. */
const badValue = fc.oneof(
  fc.constant({ $bytes: 5 }),
  fc.constant({ $integer: "not base64!" }),
  fc.constant({ $integer: "AQ==" }),
  fc.constant({ $float: "AAAAAAAA8D8=" }),
  fc.constant({ $set: [] }),
  fc.constant({ $reserved: 1 }),
  fc.constant(JSON.parse('{"__proto__": {"isAdmin": true}}') as unknown),
  fc.integer({ min: 65, max: 200 }).map((depth) => {
    let value: unknown = 0;
    for (let level = 0; level < depth; level += 1) value = [value];
    return value;
  }),
  fc.integer({ min: 8193, max: 9000 }).map((length) => new Array<number>(length).fill(0)),
  fc
    .integer({ min: 1025, max: 1100 })
    .map((fields) => Object.fromEntries(Array.from({ length: fields }, (_, n) => [`f${n}`, n]))),
);
/** `args` that are not `[ {…} ]`. */
const badArgsShape = fc.oneof(
  fc.constant([]),
  fc.constant([{}, {}]),
  fc.constant({}),
  fc.constant("args"),
  fc.constant([1]),
  fc.constant([null]),
  fc.constant([[]]),
);

const add = (overrides: Record<string, unknown> = {}) => ({
  type: "Add",
  queryId: 0,
  udfPath: "messages:list",
  args: [{}],
  ...overrides,
});
const modify = (overrides: Record<string, unknown> = {}) => ({
  type: "ModifyQuerySet",
  baseVersion: 0,
  newVersion: 1,
  modifications: [add()],
  ...overrides,
});
const mutation = (overrides: Record<string, unknown> = {}) => ({
  type: "Mutation",
  requestId: 0,
  udfPath: "messages:send",
  args: [{ body: "fuzz" }],
  ...overrides,
});
const action = (overrides: Record<string, unknown> = {}) => ({
  type: "Action",
  requestId: 0,
  udfPath: "messages:sendFromAction",
  args: [{ body: "fuzz" }],
  ...overrides,
});
const authenticate = (overrides: Record<string, unknown> = {}) => ({
  type: "Authenticate",
  tokenType: "None",
  baseVersion: 0,
  ...overrides,
});
const KNOWN_TYPES = ["Connect", "ModifyQuerySet", "Mutation", "Action", "Authenticate", "Event"];

/** One frame a client sends after its Connect, or instead of it (`connect: false`). */
type Frame = { connect: boolean; frames: (string | Buffer)[] };
const after = (message: unknown): Frame => ({ connect: true, frames: [JSON.stringify(message)] });
const instead = (message: unknown): Frame => ({ connect: false, frames: [JSON.stringify(message)] });

/** Sync-protocol input that is wrong in exactly one way, whatever else it holds. */
const badSyncInput: fc.Arbitrary<Frame> = fc.oneof(
  // Unknown, missing or mistyped message types; not JSON at all; not an object; binary frames.
  fc
    .string({ maxLength: 30 })
    .filter((type) => !KNOWN_TYPES.includes(type))
    .map((type) => after({ type })),
  fc.constant(after({})),
  notAString.map((type) => after({ type })),
  fc
    .string({ maxLength: 40 })
    .filter((text) => {
      try {
        const parsed: unknown = JSON.parse(text);
        return typeof parsed !== "object" || parsed === null || Array.isArray(parsed);
      } catch {
        return true;
      }
    })
    .map((text): Frame => ({ connect: true, frames: [text] })),
  fc
    .uint8Array({ minLength: 1, maxLength: 64 })
    .map((bytes): Frame => ({ connect: true, frames: [Buffer.from(bytes)] })),
  // Connect.
  badNumber.map((connectionCount) => instead(connectMessage({ connectionCount }))),
  notAString.map((sessionId) => instead(connectMessage({ sessionId }))),
  fc
    .oneof(fc.string({ maxLength: 20 }), fc.constant("AAAAAAAAAAA="), fc.constant("//////////8="))
    .map((maxObservedTimestamp) => instead(connectMessage({ maxObservedTimestamp }))),
  fc
    .bigInt({ min: 2n ** 62n, max: 2n ** 64n - 1n })
    .map((ts) => instead(connectMessage({ maxObservedTimestamp: encodeTs(ts) }))),
  fc
    .oneof(
      notANumber.filter((v) => v !== null),
      fc.constant(1.5),
    )
    .map((clientTs) => instead(connectMessage({ clientTs }))),
  // ModifyQuerySet.
  badNumber.map((baseVersion) => after(modify({ baseVersion }))),
  badNumber.map((newVersion) => after(modify({ newVersion }))),
  fc
    .integer({ min: 1, max: U32_MAX })
    .map((baseVersion) => after(modify({ baseVersion, newVersion: baseVersion + 1 }))),
  fc.constant(after(modify({ newVersion: 0 }))),
  badNumber.map((queryId) => after(modify({ modifications: [add({ queryId })] }))),
  badNumber.map((queryId) => after(modify({ modifications: [{ type: "Remove", queryId }] }))),
  fc.constant(after(modify({ modifications: [{ type: "Remove", queryId: 7 }] }))),
  fc.constant(after(modify({ modifications: [add(), add()] }))),
  notAString.map((udfPath) => after(modify({ modifications: [add({ udfPath })] }))),
  badArgsShape.map((args) => after(modify({ modifications: [add({ args })] }))),
  badValue.map((value) => after(modify({ modifications: [add({ args: [{ value }] })] }))),
  fc
    .oneof(fc.string({ maxLength: 10 }), notAString)
    .filter((t) => t !== "Add" && t !== "Remove")
    .map((type) => after(modify({ modifications: [{ type, queryId: 0 }] }))),
  notANumber.filter((m) => !Array.isArray(m)).map((modifications) => after(modify({ modifications }))),
  fc.integer({ min: CONNECTION_LIMITS.queries + 1, max: 3000 }).map((length) =>
    after(
      modify({
        modifications: Array.from({ length }, (_, queryId) => add({ queryId, args: [{ n: queryId }] })),
      }),
    ),
  ),
  // Mutations and actions.
  badNumber.map((requestId) => after(mutation({ requestId }))),
  badNumber.map((requestId) => after(action({ requestId }))),
  badArgsShape.map((args) => after(mutation({ args }))),
  badValue.map((body) => after(mutation({ args: [{ body }] }))),
  badValue.map((body) => after(action({ args: [{ body }] }))),
  fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)).map((body) => after(mutation({ args: [{ body }] }))),
  fc
    .constantFrom("messages:insert", "messages:list", "nowhere:nothing", "", ":", "messages")
    .map((udfPath) => after(mutation({ udfPath }))),
  fc.constantFrom("messages:insert", "messages:send", "nowhere:nothing").map((udfPath) => after(action({ udfPath }))),
  fc.string({ minLength: 1, maxLength: 10 }).map((componentPath) => after(mutation({ componentPath }))),
  // Authenticate.
  badNumber.map((baseVersion) => after(authenticate({ baseVersion }))),
  fc.integer({ min: 1, max: U32_MAX }).map((baseVersion) => after(authenticate({ baseVersion }))),
  fc
    .oneof(fc.string({ maxLength: 10 }), notAString)
    .filter((t) => t !== "None")
    .map((tokenType) => after(authenticate({ tokenType, value: "x" }))),
  fc.oneof(fc.string({ maxLength: 200 }), notAString).map((value) => after(authenticate({ tokenType: "User", value }))),
  fc.constant(after(authenticate({ tokenType: "Admin", value: "admin-key" }))),
);

/** Whether a server message tells the client its input was refused. */
function isError(message: RawServerMessage): boolean {
  switch (message.type) {
    case "FatalError":
    case "AuthError":
      return true;
    case "MutationResponse":
    case "ActionResponse":
      return message.success === false;
    case "Transition": {
      const modifications = message.modifications as { type: string }[];
      return modifications.length > 0 && modifications.every((m) => m.type === "QueryFailed");
    }
    default:
      return false;
  }
}

function isSuccess(message: RawServerMessage): boolean {
  if (message.type === "MutationResponse" || message.type === "ActionResponse") return message.success === true;
  if (message.type === "Transition") {
    return (message.modifications as { type: string }[]).some((m) => m.type === "QueryUpdated");
  }
  return false;
}

describe("sync protocol input", () => {
  test("every malformed message gets its sender an error, and only its sender", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(badSyncInput, async (input) => {
        const before = persisted();
        const connection = await rawSync(fixture.server.url);
        try {
          if (input.connect) connection.send(connectMessage());
          for (const frame of input.frames) connection.socket.send(frame);
          const error = await connection.next(isError, `an error for ${String(input.frames[0]).slice(0, 200)}`, 3_000);
          expect(error).toBeDefined();
          expect(connection.messages.filter(isSuccess)).toEqual([]);
          for (const message of connection.messages) {
            expect(JSON.stringify(message)).not.toContain(process.cwd());
          }
        } finally {
          connection.close();
        }
        expect(persisted()).toBe(before);
        expect(fixture.server.engine.internals.currentTs()).toBeLessThan(2n ** 62n);
        runs += 1;
        if (runs % 40 === 0) await bystander.stillServed(`${runs} malformed messages`);
      }),
      { seed: SEED, numRuns: 200, endOnFailure: true },
    );
    await bystander.stillServed("the sync fuzzing");
  });
});

// ── HTTP API ─────────────────────────────────────────────────────────────────────────────────────

type Body = { endpoint: "/api/query" | "/api/mutation" | "/api/action" | "/api/function"; body: string };
const body = (endpoint: Body["endpoint"], value: unknown): Body => ({ endpoint, body: JSON.stringify(value) });
type Endpoint = "/api/query" | "/api/mutation" | "/api/action";
const endpoints = fc.constantFrom<Endpoint>("/api/query", "/api/mutation", "/api/action");
const validPath: Record<Endpoint, string> = {
  "/api/query": "messages:list",
  "/api/mutation": "messages:send",
  "/api/action": "messages:sendFromAction",
};

/** HTTP API bodies that are wrong in one way. */
const badHttpBody: fc.Arbitrary<Body> = fc.oneof(
  fc
    .tuple(endpoints, fc.string({ maxLength: 40 }))
    .filter(([, text]) => {
      try {
        const parsed: unknown = JSON.parse(text);
        return typeof parsed !== "object" || parsed === null || Array.isArray(parsed);
      } catch {
        return true;
      }
    })
    .map(([endpoint, text]) => ({ endpoint, body: text })),
  fc.tuple(endpoints, notAString).map(([endpoint, path]) => body(endpoint, { path, args: [{}] })),
  endpoints.map((endpoint) => body(endpoint, { args: [{}] })),
  fc
    .tuple(
      endpoints,
      badArgsShape.filter((args) => !(Array.isArray(args) && args.length === 0)),
    )
    .map(([endpoint, args]) => body(endpoint, { path: validPath[endpoint], args })),
  fc
    .tuple(endpoints, badValue)
    .map(([endpoint, value]) => body(endpoint, { path: validPath[endpoint], args: [{ body: value, value }] })),
  fc
    .tuple(endpoints, fc.oneof(fc.string({ maxLength: 10 }), notAString))
    .filter(([, format]) => format !== "json" && format !== "convex_encoded_json")
    .map(([endpoint, format]) => body(endpoint, { path: validPath[endpoint], args: [{}], format })),
  fc
    .oneof(fc.integer(), fc.boolean(), fc.constant(null))
    .map((value) => body("/api/mutation", { path: "messages:send", args: [{ body: value }] })),
  fc
    .constantFrom("messages:insert", "nowhere:nothing", "messages:list")
    .map((path) => body("/api/mutation", { path, args: [{ body: "x", via: "http" }] })),
  fc
    .constantFrom("messages:insert", "messages:send")
    .map((path) => body("/api/query", { path, args: [{ body: "x" }] })),
  badValue.map((value) => body("/api/function", { path: "messages:send", args: { body: value } })),
  notAString.map((args) => body("/api/function", { path: "messages:send", args })),
);

describe("HTTP API bodies", () => {
  test("every malformed body gets an error answer, and changes nothing", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(badHttpBody, async ({ endpoint, body: text }) => {
        const before = persisted();
        const response = await fetch(`${fixture.server.url}${endpoint}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: text,
        });
        const answer = await response.text();
        expect(response.status, `${endpoint} ${text.slice(0, 200)} → ${answer.slice(0, 200)}`).toBeGreaterThanOrEqual(
          400,
        );
        expect(response.status).not.toBe(500);
        const parsed = JSON.parse(answer) as { status?: string };
        expect(parsed.status).not.toBe("success");
        expect(answer).not.toContain(process.cwd());
        expect(persisted()).toBe(before);
        runs += 1;
        if (runs % 50 === 0) await bystander.stillServed(`${runs} malformed bodies`);
      }),
      { seed: SEED, numRuns: 200, endOnFailure: true },
    );
    await bystander.stillServed("the HTTP fuzzing");
  });
});
