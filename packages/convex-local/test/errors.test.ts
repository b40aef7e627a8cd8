// @vitest-environment node
/**
 * Errors as a deployment reports them to the real clients: a module that throws while loading is
 * the called function's error and the connection stays (a FatalError would close it for good);
 * argument and return value validation in the deployment's words (convex-backend
 * crates/udf/src/validation.rs, crates/model/src/modules/function_validators.rs,
 * crates/common/src/schemas/validator.rs); no stack frames of this server or its dependencies.
 */
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { eventually, simpleClient, startFixture, watch } from "./support";

type Message = { body: string; via: string };
const list = makeFunctionReference<"query", Record<string, never>, Message[]>("messages:list");
const send = makeFunctionReference<"mutation", Record<string, unknown>, string>("messages:send");
const failing = makeFunctionReference<"query", Record<string, never>, null>("messages:failing");
const ping = makeFunctionReference<"query", Record<string, never>, string>("broken:ping");
const typedReturn = makeFunctionReference<"query", { value: unknown }, string>("limits:typedReturn");
const writeThenReturnWrong = makeFunctionReference<"mutation", { marker: string }, string>(
  "limits:writeThenReturnWrong",
);
const markers = makeFunctionReference<"query", Record<string, never>, string[]>("limits:markers");
const failsInDatabase = makeFunctionReference<"query", Record<string, never>, null>("limits:failsInDatabase");
const insertArray = makeFunctionReference<"mutation", { length: number }, string>("limits:insertArray");
const logsError = makeFunctionReference<"query", Record<string, never>, null>("limits:logsError");

let fixture: Awaited<ReturnType<typeof startFixture>>;
let client: ReturnType<typeof simpleClient>["client"];
let logs: string[];

beforeAll(async () => {
  // broken.ts throws while loading when this deployment variable is set.
  fixture = await startFixture({ env: { FIXTURE_BROKEN_MODULE: "1" } });
  ({ client, logs } = simpleClient(fixture.server.url));
});
afterAll(async () => {
  await client.close();
  await fixture.close();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => (error as Error).message,
  );

describe("a module that throws while loading", () => {
  test("is the called function's error; the same client's subscriptions, queries and mutations keep working", async () => {
    const seen = watch<Message[]>((onValue, onError) => client.onUpdate(list, {}, onValue, onError));
    await seen.until((value) => Array.isArray(value), "the first result");
    const connections = client.connectionState().connectionCount;

    const message = await failure(client.query(ping, {}));
    expect(message).toContain("Uncaught Error: broken.ts refuses to load");

    await client.mutation(send, { body: "after the broken module" });
    await seen.until((value) => value.some((m) => m.body === "after the broken module"), "the live update");
    expect((await client.query(list, {})).map((m) => m.body)).toContain("after the broken module");
    // Still the first connection: nothing closed it.
    expect(client.connectionState().connectionCount).toBe(connections);
    expect(client.connectionState().isWebSocketConnected).toBe(true);
    seen.unsubscribe();
  });
});

describe("argument validation", () => {
  test("a value of the wrong type", async () => {
    const message = await failure(client.mutation(send, { body: 1 }));
    expect(message).toContain(
      "ArgumentValidationError: Value does not match validator.\nPath: .body\nValue: 1.0\nValidator: v.string()",
    );
    expect(message).not.toContain("Uncaught");
  });

  test("a missing field", async () => {
    expect(await failure(client.mutation(send, {}))).toContain(
      "ArgumentValidationError: Object is missing the required field `body`. Consider wrapping the field validator in `v.optional(...)` if this is expected.\n\nObject: {}\nValidator: v.object({body: v.string()})",
    );
  });

  test("an extra field", async () => {
    expect(await failure(client.mutation(send, { body: "x", extra: 1 }))).toContain(
      'ArgumentValidationError: Object contains extra field `extra` that is not in the validator.\n\nObject: {body: "x", extra: 1.0}\nValidator: v.object({body: v.string()})',
    );
  });
});

describe("return value validation", () => {
  test("a query returning what its validator refuses", async () => {
    expect(await client.query(typedReturn, { value: "fine" })).toBe("fine");
    const message = await failure(client.query(typedReturn, { value: 42 }));
    expect(message).toContain(
      "ReturnsValidationError: Value does not match validator.\n\nValue: 42.0\nValidator: v.string()",
    );
    expect(message).not.toContain("Uncaught");
  });

  test("a mutation returning what its validator refuses commits nothing", async () => {
    expect(await failure(client.mutation(writeThenReturnWrong, { marker: "refused" }))).toContain(
      "ReturnsValidationError: Value does not match validator.",
    );
    expect(await client.query(markers, {})).not.toContain("refused");
  });
});

describe("stack frames", () => {
  const backendFrame = /node_modules|convex-test|convex-local\/src|\/src\/(engine|limits|session|server)\.ts/;
  const frames = (message: string) => message.split("\n").filter((line) => line.trimStart().startsWith("at "));

  test("a function's own error keeps the project's frames and none of the server's", async () => {
    const message = await failure(client.query(failing, {}));
    expect(message).toContain("Uncaught Error: always fails");
    expect(frames(message).length).toBeGreaterThan(0);
    for (const frame of frames(message)) expect(frame).toContain("../fixture/messages.ts");
    expect(message).not.toMatch(backendFrame);
  });

  test("an error raised in the database layer or by a limit names no frame of the server", async () => {
    const fromDatabase = await failure(client.query(failsInDatabase, {}));
    expect(fromDatabase).toContain("Uncaught Error:");
    expect(fromDatabase).not.toMatch(backendFrame);
    for (const frame of frames(fromDatabase)) expect(frame).toContain("../fixture/limits.ts");

    const fromLimit = await failure(client.mutation(insertArray, { length: 10_000 }));
    expect(fromLimit).toContain("Array length is too long (10000 > maximum length 8192)");
    expect(fromLimit).not.toMatch(backendFrame);
  });

  test("an error a function logs shows the project's frames only", async () => {
    await client.query(logsError, {});
    const line = await eventually(() => logs.find((text) => text.includes("Error: logged")), "the logged error");
    expect(line).toContain("../fixture/limits.ts");
    expect(line).not.toMatch(backendFrame);
  });
});
