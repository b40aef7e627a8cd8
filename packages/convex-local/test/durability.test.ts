// @vitest-environment node
/**
 * Acknowledged commits survive the process being killed. A deployment writes each commit to its
 * persistence before it publishes it or answers the client (convex-backend
 * crates/database/src/committer.rs), and a mutation is one transaction: its writes are all there
 * or none are (https://docs.convex.dev/functions/mutation-functions, "Transactions").
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { afterAll, describe, expect, test } from "vitest";
import { Persistence } from "../src/persistence";
import { encodeRecord, logFiles, WriteAheadLog } from "../src/wal";
import { FIXTURE_DIR, simpleClient, tempDir } from "./support";

type Message = { body: string; via: string };
const list = makeFunctionReference<"query", Record<string, never>, Message[]>("messages:list");
const sendMany = makeFunctionReference<"mutation", { prefix: string; count: number }, null>("messages:sendMany");
const sendFromAction = makeFunctionReference<"action", { body: string }, string>("messages:sendFromAction");

const PACKAGE_DIR = path.join(import.meta.dirname, "..");
const ROUNDS = 100;
/** Documents one `sendMany` writes in its one commit. */
const GROUP = 4;

const temporary: (() => void)[] = [];
afterAll(() => {
  for (const remove of temporary) remove();
});

function scratch(prefix: string): string {
  const { dir, remove } = tempDir(prefix);
  temporary.push(remove);
  return dir;
}

/** The CLI as a developer runs it, in a process of its own; resolves once it prints its ready line. */
async function startBackend(
  dataDir: string,
  options: { fsync?: boolean } = {},
): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli.ts",
      "--data-dir",
      dataDir,
      "--port",
      "0",
      "--site-port",
      "0",
      "--convex-dir",
      FIXTURE_DIR,
      "--env",
      "AUTH_ISSUER_DOMAIN=http://127.0.0.1:9",
      "--quiet",
      ...(options.fsync === true ? ["--fsync"] : []),
    ],
    { cwd: PACKAGE_DIR, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const ready = /convex-local ready: CONVEX_URL=(\S+)/.exec(output);
      if (ready !== null) resolve(ready[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the backend exited (${code}) before it was ready:\n${output}`)));
  });
  return { url, child, output: () => output };
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** The stored messages: how many documents of each `sendMany` group (`<group>:<n>` bodies), and every body. */
async function stored(url: string): Promise<{ groups: Map<string, number>; bodies: Set<string> }> {
  const messages = await new ConvexHttpClient(url, { logger: false }).query(list, {});
  const groups = new Map<string, number>();
  for (const { body } of messages) {
    const group = body.slice(0, body.lastIndexOf(":"));
    groups.set(group, (groups.get(group) ?? 0) + 1);
  }
  return { groups, bodies: new Set(messages.map((m) => m.body)) };
}

describe("kill -9", () => {
  test(
    "every acknowledged write is there after a restart; a mutation in flight is there whole or not at all",
    { timeout: 300_000 },
    async () => {
      const dataDir = path.join(scratch("convex-local-crash-"), "data");
      /** `sendMany` groups acknowledged before the kill: stored, whole. */
      const acknowledged = new Set<string>();
      /** `sendMany` groups sent but not acknowledged before the kill: stored whole, or not at all. */
      const unacknowledged = new Set<string>();
      /** Documents actions wrote with ctx.runMutation, acknowledged with the action's result. */
      const actionWrites = new Set<string>();
      let inFlightAtKill = 0;

      const check = async (url: string, when: string) => {
        const { groups, bodies } = await stored(url);
        for (const group of acknowledged) expect(groups.get(group), `acknowledged ${group}, ${when}`).toBe(GROUP);
        for (const group of unacknowledged) {
          expect([undefined, GROUP], `unacknowledged ${group}, ${when}`).toContain(groups.get(group));
        }
        for (const body of actionWrites) expect(bodies.has(body), `the action's write ${body}, ${when}`).toBe(true);
      };

      for (let round = 0; round < ROUNDS; round += 1) {
        // Every other pair of rounds flushes each commit to the disk too (`--fsync`): a killed
        // process loses nothing either way, since the operating system has every acknowledged write.
        const backend = await startBackend(dataDir, { fsync: round % 4 >= 2 });
        const socket = round % 4 === 1 ? simpleClient(backend.url).client : null;
        try {
          await check(backend.url, `after ${round} kills`);
          let killed = false;
          const calls: { group?: string; body?: string; state: "in flight" | "acknowledged" | Error }[] = [];
          const settled: Promise<void>[] = [];
          const send = (call: (typeof calls)[number], run: () => Promise<unknown>) => {
            calls.push(call);
            settled.push(
              run().then(
                () => void (killed || (call.state = "acknowledged")),
                (error: Error) => void (killed || (call.state = error)),
              ),
            );
          };
          const mutate = (group: string, run: (args: { prefix: string; count: number }) => Promise<unknown>) =>
            send({ group, state: "in flight" }, () => run({ prefix: `${group}:`, count: GROUP }));
          const http = () => new ConvexHttpClient(backend.url, { logger: false });
          switch (round % 4) {
            case 0: {
              // One mutation over the HTTP API, killed right after its 200.
              const client = http();
              mutate(`r${round}`, (args) => client.mutation(sendMany, args));
              break;
            }
            case 1:
              // Mutations queued on one WebSocket: the kill comes with the first one's acknowledgement.
              for (let n = 0; n < 6; n += 1) mutate(`r${round}w${n}`, (args) => socket!.mutation(sendMany, args));
              break;
            case 2:
              // Concurrent HTTP requests, which the log flushes in groups.
              for (let n = 0; n < 6; n += 1) {
                const client = http();
                mutate(`r${round}h${n}`, (args) => client.mutation(sendMany, args));
              }
              break;
            default: {
              // An action's ctx.runMutation, acknowledged with the action's result, beside mutations.
              const body = `r${round}a:0`;
              const client = http();
              send({ body, state: "in flight" }, () => client.action(sendFromAction, { body }));
              for (let n = 0; n < 3; n += 1) {
                const other = http();
                mutate(`r${round}x${n}`, (args) => other.mutation(sendMany, args));
              }
            }
          }
          await Promise.race(settled);
          killed = true;
          await kill(backend.child);
          expect(calls.filter((call) => call.state instanceof Error)).toEqual([]);
          for (const call of calls) {
            if (call.state !== "acknowledged") inFlightAtKill += 1;
            if (call.body !== undefined) {
              if (call.state === "acknowledged") actionWrites.add(call.body);
            } else if (call.group !== undefined) {
              (call.state === "acknowledged" ? acknowledged : unacknowledged).add(call.group);
            }
          }
        } finally {
          await socket?.close();
          if (backend.child.exitCode === null && backend.child.signalCode === null) await kill(backend.child);
        }
      }

      const last = await startBackend(dataDir);
      try {
        await check(last.url, `after ${ROUNDS} kills`);
      } finally {
        await kill(last.child);
      }
      // Every round acknowledged something, and some kills came while other commits were in flight.
      expect(acknowledged.size + actionWrites.size).toBeGreaterThanOrEqual(ROUNDS);
      expect(inFlightAtKill).toBeGreaterThan(0);
    },
  );
});

describe("the commit log", () => {
  /** A log of `count` commits, each inserting one message, as a server killed after them leaves it. */
  async function logOf(count: number, rotateAfter?: number, bodyLength = 0): Promise<string> {
    const dir = scratch("convex-local-log-");
    const log = new WriteAheadLog(dir, 0, (error) => {
      throw error;
    });
    for (let n = 1; n <= count; n += 1) {
      const id = `${10000 + n}messages`;
      log.append({
        ts: String(1_700_000_000_000_000_000n + BigInt(n)),
        writes: [
          [
            id,
            { _id: id, _creationTime: 1_700_000_000_000 + n, body: `m${n}`.padEnd(bodyLength, "."), via: "mutation" },
          ],
        ],
        nextDocId: 10001 + n,
        lastCreationTime: 1_700_000_000_000 + n,
      });
      if (n === rotateAfter) await log.rotate();
    }
    await log.durable();
    await log.close();
    return dir;
  }

  /** Where each framed record of a log file starts (the header's first), and where the last one ends. */
  function records(file: string): { starts: number[]; last: number; end: number } {
    const bytes = readFileSync(file);
    const starts: number[] = [];
    let offset = 0;
    // The zeros after the records are the file's room to grow.
    while (offset < bytes.length && bytes.readUInt32LE(offset) > 0) {
      starts.push(offset);
      offset += 8 + bytes.readUInt32LE(offset);
    }
    return { starts, last: starts.at(-1)!, end: offset };
  }

  function overwrite(file: string, offset: number, bytes: Buffer): void {
    const fd = openSync(file, "r+");
    writeSync(fd, bytes, 0, bytes.length, offset);
    closeSync(fd);
  }

  function flip(file: string, offset: number): void {
    overwrite(file, offset, Buffer.from([readFileSync(file).readUInt8(offset) ^ 0x20]));
  }

  function load(dir: string) {
    const warnings: string[] = [];
    const persistence = new Persistence(dir, (line) => warnings.push(line));
    const state = persistence.open();
    const bodies = (state?.documents ?? []).map((doc) => (doc as { body: string }).body);
    return { state, bodies, warnings, close: () => persistence.close() };
  }

  const tears: [string, (file: string, record: { last: number; end: number }) => void, number][] = [
    ["cut in the middle of its last record", (file, { last }) => truncateSync(file, last + 8 + 20), 4],
    [
      "only the start of its last record written",
      (file, { last, end }) => overwrite(file, last + 8 + 20, Buffer.alloc(end - last - 8 - 20)),
      4,
    ],
    ["one byte of its last record changed", (file, { last }) => flip(file, last + 8 + 5), 4],
    [
      "a garbled length in its last record",
      (file, { last }) => overwrite(file, last, Buffer.from([0xf0, 0xff, 0xff, 0x7f])),
      4,
    ],
    ["garbage after its last whole record", (file, { end }) => overwrite(file, end, Buffer.alloc(37, 0xab)), 5],
  ];

  test.each(tears)(
    "a log with %s loads every commit before the tear, and the next start finds a clean log",
    async (_, tear, kept) => {
      const dir = await logOf(5);
      const [file] = logFiles(dir);
      tear(file!, records(file!));

      const first = load(dir);
      expect(first.bodies).toEqual(["m1", "m2", "m3", "m4", "m5"].slice(0, kept));
      expect(first.state).toMatchObject({
        nextDocId: 10001 + kept,
        lastCreationTime: 1_700_000_000_000 + kept,
        lastCommitTs: String(1_700_000_000_000_000_000n + BigInt(kept)),
      });
      expect(first.warnings.join("\n")).toMatch(/dropped what follows byte \d+ of .*wal-\d+\.log/);
      await first.close();

      // Folded into the snapshot: nothing torn is left to replay, and nothing is lost.
      const second = load(dir);
      expect(second.bodies).toEqual(first.bodies);
      expect(second.warnings).toEqual([]);
      await second.close();
    },
  );

  test("a whole log loads every commit, the zeros it was filled with ahead no tear", async () => {
    const dir = await logOf(5);
    const [file] = logFiles(dir);
    expect(readFileSync(file!).length).toBeGreaterThan(records(file!).end);
    const { bodies, warnings, close } = load(dir);
    expect(bodies).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    expect(warnings).toEqual([]);
    await close();
  });

  test("a log that outgrew the zeros it was filled with ahead loads every commit", async () => {
    const dir = await logOf(3000, undefined, 1000);
    const [file] = logFiles(dir);
    expect(records(file!).end).toBeGreaterThan(2 * 1024 * 1024);
    const { bodies, warnings, close } = load(dir);
    expect(bodies).toHaveLength(3000);
    expect(bodies.at(-1)).toMatch(/^m3000\.+$/);
    expect(warnings).toEqual([]);
    await close();
  });

  test("commits spread over several log files load in order, the newest file's tear dropped", async () => {
    const dir = await logOf(5, 2);
    const files = logFiles(dir);
    expect(files).toHaveLength(2);
    truncateSync(files[1]!, records(files[1]!).last + 8 + 3);
    const { bodies, close } = load(dir);
    expect(bodies).toEqual(["m1", "m2", "m3", "m4"]);
    await close();
  });

  test("damage before the newest log file is refused, naming the file, rather than replayed with a hole", async () => {
    const dir = await logOf(5, 2);
    const [older] = logFiles(dir);
    flip(older!, records(older!).starts[1]! + 8 + 5);
    expect(() => new Persistence(dir, () => {}).open()).toThrow(`${older} is damaged`);
  });

  test("a component's writes are logged with the app's and replayed into that component's data", async () => {
    const dir = scratch("convex-local-log-");
    const log = new WriteAheadLog(dir, 0, (error) => {
      throw error;
    });
    const row = (id: string, value: number) => ({ _id: id, _creationTime: 1_700_000_000_001, name: "a", value });
    log.append({
      ts: "1700000000000000001",
      writes: [["10001events", { _id: "10001events", _creationTime: 1_700_000_000_001, name: "a" }]],
      nextDocId: 10002,
      lastCreationTime: 1_700_000_000_001,
      components: {
        counter: { writes: [["10000counts", row("10000counts", 1)]], nextDocId: 10001, lastCreationTime: 1 },
      },
    });
    // One commit that writes only in a component (the app's part is empty).
    log.append({
      ts: "1700000000000000002",
      writes: [],
      nextDocId: 10002,
      lastCreationTime: 1_700_000_000_001,
      components: {
        counter: { writes: [["10000counts", row("10000counts", 2)]], nextDocId: 10001, lastCreationTime: 1 },
        "counter/inner": {
          writes: [["10000cells", { _id: "10000cells", _creationTime: 2 }]],
          nextDocId: 10001,
          lastCreationTime: 2,
        },
      },
    });
    await log.durable();
    await log.close();
    const { state, close } = load(dir);
    expect(state?.documents).toEqual([expect.objectContaining({ _id: "10001events" })]);
    expect(state?.components?.counter?.documents).toEqual([row("10000counts", 2)]);
    expect(state?.components?.["counter/inner"]?.documents).toEqual([{ _id: "10000cells", _creationTime: 2 }]);
    await close();
  });

  test("a log written by another format version is refused, naming the file", () => {
    const dir = scratch("convex-local-log-");
    const file = path.join(dir, "wal-000000000001.log");
    writeFileSync(file, encodeRecord(JSON.stringify({ log: "convex-local write-ahead log", format: 2 })));
    expect(() => new Persistence(dir, () => {}).open()).toThrow(`${file} was not written by this version`);
  });
});
