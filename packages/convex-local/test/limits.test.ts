// @vitest-environment node
/**
 * Convex's limits on one function, with the deployment's messages: over each limit a call fails,
 * just under it succeeds. The numbers are Convex's (docs: production/state/limits; convex-backend
 * crates/common/src/knobs.rs, crates/common/src/document.rs, crates/value, crates/isolate).
 */
import { makeFunctionReference } from "convex/server";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { LIMITS } from "../src/limits";
import { simpleClient, startFixture } from "./support";

const MiB = 1 << 20;

const insertBlobs = makeFunctionReference<"mutation", { table: string; sizes: number[] }, number>("limits:insertBlobs");
const insertRows = makeFunctionReference<"mutation", { count: number }, number>("limits:insertRows");
const countRows = makeFunctionReference<"query", { table: string }, number>("limits:countRows");
const insertArray = makeFunctionReference<"mutation", { length: number }, string>("limits:insertArray");
const insertNested = makeFunctionReference<"mutation", { levels: number }, string>("limits:insertNested");
const insertField = makeFunctionReference<"mutation", { field: string }, string>("limits:insertField");
const insertCatching = makeFunctionReference<"mutation", { size: number }, string>("limits:insertCatching");
const countCaught = makeFunctionReference<"query", Record<string, never>, number>("limits:countCaught");
const deepValue = makeFunctionReference<"query", { levels: number }>("limits:deepValue");
const bigResult = makeFunctionReference<"query", { size: number }, string>("limits:bigResult");
const scheduleMany = makeFunctionReference<"mutation", { count: number }, number>("limits:scheduleMany");
const busyQuery = makeFunctionReference<"query", { ms: number }, number>("limits:busyQuery");
const busyMutation = makeFunctionReference<"mutation", { ms: number; marker: string }, number>("limits:busyMutation");
const markers = makeFunctionReference<"query", Record<string, never>, string[]>("limits:markers");
const sleepingAction = makeFunctionReference<"action", { ms: number }, number>("limits:sleepingAction");
const passArgs = makeFunctionReference<"action", { size: number }, number>("limits:passArgs");

let fixture: Awaited<ReturnType<typeof startFixture>>;
let client: ReturnType<typeof simpleClient>["client"];
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  fixture = await startFixture();
  client = simpleClient(fixture.server.url).client;
});
afterAll(async () => {
  await client.close();
  await fixture.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The message of a call that must fail. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => (error as Error).message,
  );

/** A document `{_id, _creationTime, data: "x…x"}` of exactly `bytes` bytes (ids here are 32 characters). */
const dataLengthFor = (bytes: number) => bytes - (2 + (4 + 34) + (14 + 9) + (5 + 2));

describe("documents (crates/common/src/document.rs, crates/value)", () => {
  test("a document of 1 MiB is written; one byte more fails with the deployment's message", async () => {
    expect(await client.mutation(insertBlobs, { table: "blobs", sizes: [dataLengthFor(MiB)] })).toBe(1);
    await expect(client.mutation(insertBlobs, { table: "blobs", sizes: [dataLengthFor(MiB + 1)] })).rejects.toThrow(
      "Uncaught Error: Value is too large (1.00 MiB > maximum size 1 MiB)",
    );
  });

  test("a write refused for its size is not committed even when the function catches the error", async () => {
    expect(await client.mutation(insertCatching, { size: 2 * MiB })).toBe(
      "Value is too large (2.00 MiB > maximum size 1 MiB)",
    );
    expect(await client.query(countCaught, {})).toBe(0);
    expect(await client.mutation(insertCatching, { size: 1000 })).toBe("written");
    expect(await client.query(countCaught, {})).toBe(1);
  });

  test("an array of 8192 elements is written; 8193 fail", async () => {
    expect(typeof (await client.mutation(insertArray, { length: 8192 }))).toBe("string");
    await expect(client.mutation(insertArray, { length: 8193 })).rejects.toThrow(
      "Uncaught Error: Invalid argument `value` for `db.insert`: Array length is too long (8193 > maximum length 8192)",
    );
  });

  test("a document nested 16 levels deep is written; 17 fail", async () => {
    expect(typeof (await client.mutation(insertNested, { levels: 15 }))).toBe("string");
    const message = await failure(client.mutation(insertNested, { levels: 16 }));
    expect(message).toContain("Uncaught Error: Document(value: {_creationTime: ");
    expect(message).toContain(
      "isn't a valid document: Document is too nested (nested 17 levels deep > maximum nesting 16)",
    );
  });

  test("a top-level field starting with an underscore is refused; one without is written", async () => {
    expect(typeof (await client.mutation(insertField, { field: "secret" }))).toBe("string");
    const message = await failure(client.mutation(insertField, { field: "_secret" }));
    expect(message).toMatch(
      /Uncaught Error: Document\(value: \{_creationTime: [0-9.]+, _id: "[^"]+", _secret: 1\.0\}\) isn't a valid document: Field '_secret' starts with an underscore, which is only allowed for system fields like '_id'/,
    );
  });
});

describe("transactions (crates/database/src/reads.rs, writes.rs)", () => {
  test("16,000 writes in one mutation succeed; 16,001 fail and write nothing; 32,000 reads succeed, 32,001 fail", async () => {
    expect(await client.mutation(insertRows, { count: 16_000 })).toBe(16_000);
    await expect(client.mutation(insertRows, { count: 16_001 })).rejects.toThrow(
      "Uncaught Error: Too many writes in a single function execution (limit: 16000)",
    );
    expect(await client.mutation(insertRows, { count: 16_000 })).toBe(16_000);
    expect(await client.query(countRows, { table: "rows" })).toBe(32_000);

    await client.mutation(insertRows, { count: 1 });
    await expect(client.query(countRows, { table: "rows" })).rejects.toThrow(
      "Uncaught Error: Too many documents read in a single function execution (limit: 32000). Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.",
    );
  });

  test("16 MiB written in one mutation succeed; one byte more fails; 16 MiB read succeed, more fail", async () => {
    // Sixteen documents of about 1 MB and one that makes the total exactly 16 MiB.
    const sizes = [...Array<number>(16).fill(dataLengthFor(1_000_000)), dataLengthFor(16 * MiB - 16 * 1_000_000)];
    const oneByteMore = [...sizes.slice(0, -1), sizes.at(-1)! + 1];
    await expect(client.mutation(insertBlobs, { table: "bigBlobs", sizes: oneByteMore })).rejects.toThrow(
      "Uncaught Error: Too many bytes written in a single function execution (limit: 16 MiB)",
    );
    expect(await client.mutation(insertBlobs, { table: "bigBlobs", sizes })).toBe(17);
    expect(await client.query(countRows, { table: "bigBlobs" })).toBe(17);
    await client.mutation(insertBlobs, { table: "bigBlobs", sizes: [0] });
    await expect(client.query(countRows, { table: "bigBlobs" })).rejects.toThrow(
      "Uncaught Error: Too many bytes read in a single function execution (limit: 16777216 bytes). Consider using smaller limits",
    );
  });
});

describe("values (crates/value, crates/isolate/src/helpers.rs)", () => {
  test("a return value nested 64 levels deep is returned; 65 fail", async () => {
    expect(await client.query(deepValue, { levels: 64 })).toMatchObject({ inner: { inner: {} } });
    await expect(client.query(deepValue, { levels: 65 })).rejects.toThrow(
      "Function limits.js:deepValue return value invalid: Value is too nested (nested 65 levels deep > maximum nesting 64)",
    );
  });

  test("arguments of 16 MiB are taken; one byte more fails (crates/udf/src/helpers.rs)", async () => {
    // `[{data: "x…x"}]`: the array, the object, the field name and the string's two bytes.
    const size = 16 * MiB - (2 + 2 + 5 + 2);
    expect(await client.action(passArgs, { size })).toBe(size);
    await expect(client.action(passArgs, { size: size + 1 })).rejects.toThrow(
      "Uncaught Error: Arguments for limits.js:takeArgs are too large (actual: 16.00 MiB, limit: 16 MiB)",
    );
  });

  test("a return value of 16 MiB is returned; one byte more fails", async () => {
    expect((await client.query(bigResult, { size: 16 * MiB - 2 })).length).toBe(16 * MiB - 2);
    const message = await failure(client.query(bigResult, { size: 16 * MiB - 1 }));
    expect(message).toContain(
      "Function limits.js:bigResult return value is too large (actual: 16.00 MiB, limit: 16 MiB)",
    );
    expect(message).not.toContain("Uncaught");
  });
});

describe("execution time (crates/isolate/src/timeout.rs, termination.rs)", () => {
  test("a query whose own code runs 0.2 s answers; one that runs 1.3 s fails", async () => {
    expect(await client.query(busyQuery, { ms: 200 })).toBe(200);
    const message = await failure(client.query(busyQuery, { ms: 1300 }));
    expect(message).toContain("Function execution timed out (maximum duration: 1s)");
    expect(message).not.toContain("Uncaught");
  });

  test("a mutation past 1 s fails and its writes are not committed", async () => {
    expect(await client.mutation(busyMutation, { ms: 100, marker: "quick" })).toBe(100);
    await expect(client.mutation(busyMutation, { ms: 1300, marker: "slow" })).rejects.toThrow(
      "Function execution timed out (maximum duration: 1s)",
    );
    expect(await client.query(markers, {})).toEqual(["quick"]);
  });

  test("an action past its timeout fails (the timeout lowered here from Convex's 30 minutes)", async () => {
    const saved = LIMITS.actionTimeoutMs;
    LIMITS.actionTimeoutMs = 300;
    cleanups.push(() => (LIMITS.actionTimeoutMs = saved));
    expect(await client.action(sleepingAction, { ms: 50 })).toBe(50);
    await expect(client.action(sleepingAction, { ms: 1000 })).rejects.toThrow(
      "Function execution timed out (maximum duration: 300ms)",
    );
  });
});

// Last: the thousand scheduled functions run after it, and would slow the tests after them.
describe("scheduling (crates/model/src/scheduled_jobs)", () => {
  test("a mutation schedules 1000 functions; 1001 fail", async () => {
    expect(await client.mutation(scheduleMany, { count: 1000 })).toBe(1000);
    await expect(client.mutation(scheduleMany, { count: 1001 })).rejects.toThrow(
      "Uncaught Error: Too many functions scheduled by this mutation (limit: 1000)",
    );
  });
});
