/**
 * `npm run bench -- contention`: how often concurrent task creates in one organization conflict,
 * with the counts in single documents (before) and in the sharded counter (after).
 *
 * Reasoned, not observed: convex-test and the local backend run one function at a time, so no two
 * transactions ever overlap there. Each create runs for real in convex-test, with what it reads
 * (documents, and index ranges up to the last row it took) and writes (each document, before and
 * after) recorded from its syscalls. N writers then start together from one snapshot and commit
 * one after another in random order; a writer whose reads take in a write committed after its
 * snapshot conflicts and runs again in the next round, as Convex's optimistic concurrency control
 * retries it, at most 4 times (the open-source backend's UDF_EXECUTOR_OCC_MAX_RETRIES), after which
 * the mutation fails. Every writer in a round overlaps every other, the worst case: Convex's
 * back-off between retries spreads real ones out.
 */
import { cp, mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import { jsonToConvex, type JSONValue, type Value } from "convex/values";
import { convexModules } from "@tenant-workspace/convex-local";
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import type * as shardedCounters from "../convex/model/counters";
import { ORG_TASK_SHARDS } from "../convex/model/counters";
import schema from "../convex/schema";
import { claimsFor } from "../tests/convex/fixtures";
import { componentSchemas, modules, newBenchBackend, rolledBackMutation } from "./modules";
import { ROLLED_BACK } from "./probe";
import * as singleDocumentCounters from "./single-document-counters";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** Convex retries a mutation that conflicts this many times, then fails it. */
const MAX_RETRIES = 4;
const WRITER_COUNTS = [10, 50];
const TRIALS = 4;

type Doc = Record<string, Value>;
type Write = { table: string; id: string; before: Doc | null; after: Doc | null };
type RangeExpression = { type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte"; field: string; value: Value | undefined };
/** An index range a transaction read: from its start, in its order, up to the last key it took (all of it once done). */
type RangeRead = {
  table: string;
  fields: string[];
  expressions: RangeExpression[];
  order: "asc" | "desc";
  last: (Value | undefined)[] | null;
  done: boolean;
};
type ReadWriteSet = { points: Set<string>; ranges: RangeRead[]; writes: Write[] };

// ---------------------------------------------------------------------------------------------
// Index keys and ranges, ordered as Convex orders values.

const TYPE_ORDER = ["undefined", "null", "bigint", "number", "boolean", "string", "bytes", "array", "object"];

function typeRank(value: Value | undefined): number {
  if (value === undefined) return 0;
  if (value === null) return 1;
  if (value instanceof ArrayBuffer) return TYPE_ORDER.indexOf("bytes");
  if (Array.isArray(value)) return TYPE_ORDER.indexOf("array");
  return TYPE_ORDER.indexOf(typeof value);
}

function compareValues(a: Value | undefined, b: Value | undefined): number {
  const ranks = typeRank(a) - typeRank(b);
  if (ranks !== 0) return ranks;
  if (typeof a === "number" || typeof a === "bigint" || typeof a === "string" || typeof a === "boolean") {
    return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
  }
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareKeys(a: (Value | undefined)[], b: (Value | undefined)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function fieldOf(doc: Doc, fieldPath: string): Value | undefined {
  let value: Value | undefined = doc;
  for (const part of fieldPath.split(".")) {
    value = value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Doc)[part] : undefined;
  }
  return value;
}

/** A document's key in an index: its fields, then the creation time and id every index ends with. */
function indexKey(fields: string[], doc: Doc): (Value | undefined)[] {
  return [...fields.map((field) => fieldOf(doc, field)), doc._creationTime, doc._id];
}

function inRange(read: RangeRead, doc: Doc): boolean {
  const key = indexKey(read.fields, doc);
  for (const expression of read.expressions) {
    const c = compareValues(key[read.fields.indexOf(expression.field)], expression.value);
    const inside = { Eq: c === 0, Gt: c > 0, Gte: c >= 0, Lt: c < 0, Lte: c <= 0 }[expression.type];
    if (!inside) return false;
  }
  if (read.done) return true;
  if (read.last === null) return false;
  const c = compareKeys(key, read.last);
  return read.order === "asc" ? c <= 0 : c >= 0;
}

/** Whether `reader` read what `write` changed: the document itself, or a row inside a range it scanned. */
function reads(reader: ReadWriteSet, write: Write): boolean {
  if (reader.points.has(`${write.table}:${write.id}`) || reader.points.has(`?:${write.id}`)) return true;
  return reader.ranges.some(
    (range) =>
      range.table === write.table &&
      ((write.before !== null && inRange(range, write.before)) ||
        (write.after !== null && inRange(range, write.after))),
  );
}

/** The tables of `writes` that `reader` read: empty when the two do not conflict. */
function conflictsOf(reader: ReadWriteSet, writes: Write[]): Set<string> {
  return new Set(writes.filter((write) => reads(reader, write)).map((write) => write.table));
}

// ---------------------------------------------------------------------------------------------
// Recording what each mutation reads and writes, from the syscalls convex-test serves.

type Syscalls = {
  syscall: (op: string, args: string) => string;
  asyncSyscall: (op: string, args: string) => Promise<string>;
  jsSyscall: unknown;
};

function decode(json: JSONValue): Value | undefined {
  if (json !== null && typeof json === "object" && !Array.isArray(json) && "$undefined" in json) return undefined;
  return jsonToConvex(json);
}

class Recorder {
  private current: ReadWriteSet | null = null;
  private readonly queries = new Map<number, RangeRead>();

  /** Index fields by `table.index`, and which component (or the app) owns each table. */
  constructor(
    private readonly indexes: Map<string, string[]>,
    readonly owners: Map<string, string>,
  ) {}

  /** Wraps the syscalls convex-test installs (it installs them once per process, before this). */
  install(): void {
    const global = globalThis as unknown as { Convex: Syscalls };
    const inner = global.Convex;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters below run with another `this`.
    const recorder = this;
    global.Convex = {
      get syscall() {
        const call = inner.syscall;
        return (op: string, args: string) => {
          const result = call(op, args);
          recorder.afterSyscall(op, args, result);
          return result;
        };
      },
      get asyncSyscall() {
        const call = inner.asyncSyscall;
        return (op: string, args: string) => recorder.asyncSyscall(call, op, args);
      },
      get jsSyscall() {
        return inner.jsSyscall;
      },
    };
  }

  /** Runs `run`, returning everything it read and wrote. */
  async record(run: () => Promise<void>): Promise<ReadWriteSet> {
    const sets: ReadWriteSet = { points: new Set(), ranges: [], writes: [] };
    this.current = sets;
    this.queries.clear();
    try {
      await run();
    } finally {
      this.current = null;
    }
    return sets;
  }

  private rangeOf(query: { source: Record<string, unknown> }): RangeRead | null {
    const source = query.source;
    if (source.type === "IndexRange") {
      const [table, index] = (source.indexName as string).split(".") as [string, string];
      const fields = this.indexes.get(`${table}.${index}`) ?? (index === "by_creation_time" ? [] : null);
      if (fields === null) throw new Error(`bench: no fields known for index ${table}.${index}`);
      const expressions = (
        source.range as { type: RangeExpression["type"]; fieldPath: string; value: JSONValue }[]
      ).map((e) => ({ type: e.type, field: e.fieldPath, value: decode(e.value) }));
      return {
        table,
        fields,
        expressions,
        order: (source.order as "asc" | "desc" | null) ?? "asc",
        last: null,
        done: false,
      };
    }
    // A full scan or a search: taken as a read of the whole table.
    const table = (source.tableName ?? (source.indexName as string).split(".")[0]) as string;
    return { table, fields: [], expressions: [], order: "asc", last: null, done: true };
  }

  private afterSyscall(op: string, args: string, result: string): void {
    if (this.current === null || op !== "1.0/queryStream") return;
    const range = this.rangeOf((JSON.parse(args) as { query: { source: Record<string, unknown> } }).query);
    if (range === null || range.table.startsWith("_")) return;
    this.current.ranges.push(range);
    this.queries.set((JSON.parse(result) as { queryId: number }).queryId, range);
  }

  private async asyncSyscall(
    call: (op: string, args: string) => Promise<string>,
    op: string,
    args: string,
  ): Promise<string> {
    const sets = this.current;
    if (sets === null) return await call(op, args);
    const parsed = JSON.parse(args) as { table?: string; id?: string; queryId?: number; query?: unknown };
    const fetch = async (table: string | undefined, id: string) =>
      decode(JSON.parse(await call("1.0/get", JSON.stringify({ id, table }))) as JSONValue) as Doc | null;
    switch (op) {
      case "1.0/get": {
        if (!parsed.table?.startsWith("_")) sets.points.add(`${parsed.table ?? "?"}:${parsed.id}`);
        return await call(op, args);
      }
      case "1.0/queryStreamNext": {
        const result = await call(op, args);
        const range = this.queries.get(parsed.queryId!);
        const { value, done } = JSON.parse(result) as { value: JSONValue; done: boolean };
        if (range !== undefined) {
          if (done) range.done = true;
          else range.last = indexKey(range.fields, decode(value) as Doc);
        }
        return result;
      }
      case "1.0/queryPage": {
        const range = this.rangeOf(parsed.query as { source: Record<string, unknown> });
        if (range !== null) sets.ranges.push({ ...range, done: true });
        return await call(op, args);
      }
      case "1.0/insert": {
        const result = await call(op, args);
        const id = (JSON.parse(result) as { _id: string })._id;
        sets.writes.push({ table: parsed.table!, id, before: null, after: await fetch(parsed.table, id) });
        return result;
      }
      case "1.0/shallowMerge":
      case "1.0/replace":
      case "1.0/remove": {
        const before = await fetch(parsed.table, parsed.id!);
        const result = await call(op, args);
        const after = op === "1.0/remove" ? null : await fetch(parsed.table, parsed.id!);
        const table = parsed.table ?? "?";
        // Changing a document reads it first.
        sets.points.add(`${table}:${parsed.id}`);
        sets.writes.push({ table, id: parsed.id!, before, after });
        return result;
      }
      default:
        return await call(op, args);
    }
  }
}

/** Index fields of every table of the app and of its components; each table name must be unambiguous. */
async function schemaIndexes() {
  const indexes = new Map<string, string[]>();
  const owners = new Map<string, string>();
  const schemas: [string, SchemaDefinition<GenericSchema, boolean>][] = [
    ["app", schema as unknown as SchemaDefinition<GenericSchema, boolean>],
    ...Object.entries(await componentSchemas()),
  ];
  for (const [owner, definition] of schemas) {
    for (const [table, tableDefinition] of Object.entries(definition.tables)) {
      if (owners.has(table)) throw new Error(`bench: table ${table} is in both ${owners.get(table)} and ${owner}`);
      owners.set(table, owner);
      const exported = (
        tableDefinition as unknown as { export(): { indexes: { indexDescriptor: string; fields: string[] }[] } }
      ).export();
      for (const index of exported.indexes) indexes.set(`${table}.${index.indexDescriptor}`, index.fields);
    }
  }
  return { indexes, owners };
}

// ---------------------------------------------------------------------------------------------
// The simulation.

/** A seeded generator (mulberry32): the same draws for a writer's recorded run and its commit. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `run` with Math.random drawing from `seed` (the sharded counter picks its shard with it). */
async function withRandom<T>(seed: number, run: () => Promise<T>): Promise<T> {
  const original = Math.random;
  Math.random = seeded(seed);
  try {
    return await run();
  } finally {
    Math.random = original;
  }
}

type Backend = Awaited<ReturnType<typeof newBenchBackend>>;
type Caller = ReturnType<Backend["withIdentity"]>;
type Scenario = {
  title: string;
  projectOf: (writer: number) => number;
  projects: (writers: number) => number;
  note: string;
};
type Trial = {
  pairConflicts: number;
  firstRound: number;
  committed: number;
  retries: number;
  failed: number;
  rounds: number;
  conflictsOn: Map<string, number>;
  oneCreate: ReadWriteSet;
};

const SCENARIOS: Scenario[] = [
  {
    title: "each writer in a project of its own",
    projectOf: (writer) => writer,
    projects: (writers) => writers,
    note: "What the writers share is the organization's counts: one document, or one of its shards.",
  },
  {
    title: "every writer in one project, one column",
    projectOf: () => 0,
    projects: () => 1,
    note: "A create reads the column's last task to place the new one after it: creates appending to one column conflict whatever the counters.",
  },
];

/** One organization: an admin, `projects` projects and `writers` members. */
async function seedOrganization(t: Backend, writers: number, projects: number) {
  const org = { clerkId: "org_bench", slug: "bench" };
  const admin = t.withIdentity(claimsFor("user_admin", { ...org, role: "org:admin" }, "v2", { name: "Admin" }));
  await admin.mutation(api.users.ensure, {});
  const projectIds: Id<"projects">[] = [];
  for (let p = 0; p < projects; p++) projectIds.push(await admin.mutation(api.projects.create, { name: `P${p}` }));
  const callers: Caller[] = [];
  for (let w = 0; w < writers; w++) {
    const caller = t.withIdentity(claimsFor(`user_w${w}`, { ...org, role: "org:member" }, "v2", { name: `W${w}` }));
    await caller.mutation(api.users.ensure, {});
    callers.push(caller);
  }
  return { projectIds, callers };
}

async function runTrial(
  loadModules: Record<string, () => Promise<unknown>>,
  recorder: Recorder,
  scenario: Scenario,
  writers: number,
  seed: number,
): Promise<Trial> {
  const t = await newBenchBackend({ modules: loadModules });
  const { projectIds, callers } = await seedOrganization(t, writers, scenario.projects(writers));
  const requestOf = (w: number) => ({ projectId: projectIds[scenario.projectOf(w)]!, title: `Task of ${w}` });
  // A first task from each writer: the counters' documents exist already, as in an organization in use.
  for (let w = 0; w < writers; w++) {
    await withRandom(seed + w, () => callers[w]!.mutation(api.tasks.create, requestOf(w)));
  }
  const trial: Trial = {
    pairConflicts: 0,
    firstRound: 0,
    committed: 0,
    retries: 0,
    failed: 0,
    rounds: 0,
    conflictsOn: new Map(),
    oneCreate: { points: new Set(), ranges: [], writes: [] },
  };
  const order = seeded(seed);
  let pending = Array.from({ length: writers }, (_, w) => w);
  for (let round = 0; round <= MAX_RETRIES && pending.length > 0; round++) {
    trial.rounds += 1;
    if (round > 0) trial.retries += pending.length;
    const drawFor = (w: number) => seed * 1000 + round * 100 + w;
    // Every pending writer runs from the same snapshot: each run is rolled back once recorded.
    const sets = new Map<number, ReadWriteSet>();
    for (const w of pending) {
      sets.set(
        w,
        await recorder.record(async () => {
          const run = withRandom(drawFor(w), () =>
            callers[w]!.mutation(rolledBackMutation, { name: "tasks:create", args: requestOf(w) }),
          );
          await run.then(
            () => Promise.reject(new Error("bench: the recorded create was not rolled back")),
            (error: unknown) => (String(error).includes(ROLLED_BACK) ? undefined : Promise.reject(error)),
          );
        }),
      );
    }
    if (round === 0) {
      trial.oneCreate = sets.get(0)!;
      let pairs = 0;
      for (const i of pending) {
        for (const j of pending) {
          if (i === j) continue;
          pairs += 1;
          if (conflictsOf(sets.get(j)!, sets.get(i)!.writes).size > 0) trial.pairConflicts += 1;
        }
      }
      trial.pairConflicts /= Math.max(1, pairs);
    }
    // They commit one after another in random order; a writer whose reads saw a committed write retries.
    const shuffled = pending
      .map((w) => ({ w, key: order() }))
      .sort((a, b) => a.key - b.key)
      .map(({ w }) => w);
    const committedWrites: Write[] = [];
    const committed: number[] = [];
    const retry: number[] = [];
    for (const w of shuffled) {
      const tables = conflictsOf(sets.get(w)!, committedWrites);
      if (tables.size === 0) {
        committed.push(w);
        committedWrites.push(...sets.get(w)!.writes);
      } else {
        retry.push(w);
        for (const table of tables) {
          const on = tableLabel(recorder.owners, table);
          trial.conflictsOn.set(on, (trial.conflictsOn.get(on) ?? 0) + 1);
        }
      }
    }
    // The committed ones run for real with the same draws (the same shards): the next round starts from there.
    for (const w of committed) {
      await withRandom(drawFor(w), () => callers[w]!.mutation(api.tasks.create, requestOf(w)));
    }
    if (round === 0) trial.firstRound = committed.length;
    trial.committed += committed.length;
    pending = retry;
  }
  trial.failed = pending.length;
  return trial;
}

/** A copy of convex/ with the single-document counters in place of the sharded ones. */
async function singleDocumentModules(work: string): Promise<Record<string, () => Promise<unknown>>> {
  const dir = path.join(work, "convex");
  await cp(path.join(ROOT, "convex"), dir, { recursive: true });
  await cp(STAND_IN, path.join(dir, "model", "counters.ts"));
  await symlink(path.join(ROOT, "node_modules"), path.join(work, "node_modules"), "dir");
  return { ...convexModules(dir), "./benchProbe.ts": modules["./benchProbe.ts"]! };
}

/** The stand-in's path; taking the module checks it offers the functions counters.ts does, with the same types. */
function standInPath(_api: Omit<typeof shardedCounters, "ORG_TASK_SHARDS">): string {
  return fileURLToPath(new URL("./single-document-counters.ts", import.meta.url));
}
const STAND_IN = standInPath(singleDocumentCounters);

/** A table's name, with its component's in front when a component owns it. */
function tableLabel(owners: Map<string, string>, table: string): string {
  const owner = owners.get(table) ?? "?";
  return owner === "app" ? table : `${owner}.${table}`;
}

function describeCreate(sets: ReadWriteSet, owners: Map<string, string>): string {
  const tally = new Map<string, number>();
  for (const write of sets.writes) {
    const name = tableLabel(owners, write.table);
    tally.set(name, (tally.get(name) ?? 0) + 1);
  }
  return [...tally].map(([table, n]) => `${table} ${n}`).join(", ");
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export async function benchContention(): Promise<void> {
  const { indexes, owners } = await schemaIndexes();
  const recorder = new Recorder(indexes, owners);
  // convex-test installs its syscalls with the first backend; the recorder wraps them after that.
  await newBenchBackend();
  recorder.install();
  const work = await mkdtemp(path.join(os.tmpdir(), "bench-contention-"));
  try {
    const designs = [
      { name: "single document", modules: await singleDocumentModules(work) },
      { name: `sharded (${ORG_TASK_SHARDS} shards)`, modules },
    ];
    console.log(
      "Method: reasoned, not observed. Each task create runs in convex-test with the documents and index ranges it " +
        "reads and writes recorded; N writers start together from one snapshot and commit in random order; one whose " +
        `reads include a write committed after its snapshot retries, at most ${MAX_RETRIES} times (Convex's default), ` +
        `then fails. Means of ${TRIALS} seeded trials. Pair conflict: how often one create conflicts with another ` +
        "committed while it ran. A round is one mutation's run time, every writer in it overlapping (the worst case); " +
        "tasks per round is the throughput, N at best.",
    );
    for (const scenario of SCENARIOS) {
      console.log(`\nN writers creating a task at once, ${scenario.title}`);
      const rows = [];
      const creates = new Map<string, string>();
      for (const writers of WRITER_COUNTS) {
        for (const design of designs) {
          const trials: Trial[] = [];
          for (let trial = 0; trial < TRIALS; trial++) {
            trials.push(await runTrial(design.modules, recorder, scenario, writers, 1 + trial));
          }
          creates.set(design.name, describeCreate(trials[0]!.oneCreate, owners));
          const conflicts = new Map<string, number>();
          for (const trial of trials) {
            for (const [on, n] of trial.conflictsOn) conflicts.set(on, (conflicts.get(on) ?? 0) + n / TRIALS);
          }
          const rounds = mean(trials.map((trial) => trial.rounds));
          rows.push({
            counters: design.name,
            writers,
            "pair conflict %": (100 * mean(trials.map((trial) => trial.pairConflicts))).toFixed(1),
            "commit in round 1": mean(trials.map((trial) => trial.firstRound)).toFixed(1),
            retries: mean(trials.map((trial) => trial.retries)).toFixed(1),
            failed: mean(trials.map((trial) => trial.failed)).toFixed(1),
            rounds: rounds.toFixed(1),
            "tasks per round": (mean(trials.map((trial) => trial.committed)) / rounds).toFixed(1),
            "conflicts on": [...conflicts]
              .sort((a, b) => b[1] - a[1])
              .map(([on, n]) => `${on} ${n.toFixed(1)}`)
              .join(", "),
          });
        }
      }
      console.table(rows);
      for (const [design, writes] of creates) console.log(`One create writes (${design}): ${writes}.`);
      console.log(scenario.note);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
