// @vitest-environment node
/** Data, subscriptions and scheduled jobs across a restart of the local server; ids never repeat. */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, expect, test } from "vitest";
import { simpleClient, startFixture, watch } from "./support";

type Message = { body: string; via: string };
const list = makeFunctionReference<"query", Record<string, never>, Message[]>("messages:list");
const send = makeFunctionReference<"mutation", { body: string }, string>("messages:send");
const sendLater = makeFunctionReference<"mutation", { body: string; delayMs: number }, null>("messages:sendLater");

let fixture: Awaited<ReturnType<typeof startFixture>>;
beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.close();
});

const bodies = (messages: Message[] | undefined) => (messages ?? []).map((m) => m.body);
const idNumber = (id: string) => Number(/^\d+/.exec(id)![0]);

test("data and subscriptions survive a restart; ids and timestamps never repeat, even after --reset", async () => {
  const { url } = fixture.server;
  const port = Number(new URL(url).port);
  const sitePort = Number(new URL(fixture.server.siteUrl).port);
  const { client: watcher } = simpleClient(url);
  const { client: writer } = simpleClient(url);
  try {
    const seen = watch<Message[]>((onValue, onError) => watcher.onUpdate(list, {}, onValue, onError));
    const before = [await writer.mutation(send, { body: "before" })];
    before.push(await writer.mutation(send, { body: "before, too" }));
    await seen.until((v) => bodies(v).includes("before, too"), "the messages before the restart");
    // Pending when the server stops; due while it is down.
    await writer.mutation(sendLater, { body: "scheduled across the restart", delayMs: 300 });
    const tsBefore = fixture.server.engine.internals.currentTs();

    await fixture.server.close();
    const restarted = await fixture.start();
    fixture.server = restarted;
    expect(restarted.url).toBe(`http://127.0.0.1:${port}`);
    expect(restarted.fresh).toBe(false);
    expect(new URL(restarted.siteUrl).port).toBe(String(sitePort));

    // Same clients: they reconnect and resubscribe by themselves.
    const after = await writer.mutation(send, { body: "after" });
    await seen.until((v) => bodies(v).includes("after"), "the watcher's subscription working after the restart");
    expect(bodies(seen.latest())).toEqual(expect.arrayContaining(["before", "before, too", "after"]));
    await seen.until(
      (v) => bodies(v).includes("scheduled across the restart"),
      "the job scheduled before the restart",
      5_000,
    );
    expect(before).not.toContain(after);
    expect(idNumber(after)).toBeGreaterThan(Math.max(...before.map(idNumber)));
    expect(restarted.engine.internals.currentTs()).toBeGreaterThan(tsBefore);

    // --reset empties the database but keeps counting ids.
    await restarted.close();
    const reset = await fixture.start({ reset: true });
    fixture.server = reset;
    expect(reset.fresh).toBe(true);
    await seen.until((v) => bodies(v).length <= 1, "the emptied list after the reset", 10_000);
    const afterReset = await writer.mutation(send, { body: "after the reset" });
    expect([...before, after]).not.toContain(afterReset);
    expect(idNumber(afterReset)).toBeGreaterThan(idNumber(after));
  } finally {
    await watcher.close();
    await writer.close();
  }
});

test("a clock an older version let a client push to the end of the u64 range starts again from now", async () => {
  const { client: writer } = simpleClient(fixture.server.url);
  try {
    await writer.mutation(send, { body: "before the clock was poisoned" });
    await fixture.server.close();
    const file = path.join(fixture.dataDir, "convex", "db.json");
    const stored = JSON.parse(readFileSync(file, "utf8")) as { lastCommitTs: string };
    writeFileSync(file, JSON.stringify({ ...stored, lastCommitTs: (2n ** 64n - 1n).toString() }));
    fixture.server = await fixture.start();
    expect(fixture.server.engine.internals.currentTs()).toBeLessThan(BigInt(Date.now() + 60_000) * 1_000_000n);
    const { client: fresh } = simpleClient(fixture.server.url);
    try {
      const seen = watch<Message[]>((onValue, onError) => fresh.onUpdate(list, {}, onValue, onError));
      await fresh.mutation(send, { body: "after the repair" });
      await seen.until((v) => bodies(v).includes("after the repair"), "a write after the repair");
    } finally {
      await fresh.close();
    }
  } finally {
    await writer.close();
  }
});
