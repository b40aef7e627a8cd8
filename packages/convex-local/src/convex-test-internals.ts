/**
 * The one module that reaches into convex-test's private state.
 *
 * convex-test (written against 0.0.60, node_modules/convex-test/dist/index.js) is a test mock: it has
 * no public API to save and restore its in-memory database, to tell when a transaction commits, to
 * see which tables a query read, or to take over the scheduler. A long-running server needs all
 * four, so this module captures convex-test's per-instance "ConvexGlobal" object and wraps a few of
 * its methods. Everything it touches is named in `ConvexGlobal` below and checked in
 * `attachInternals`, so a convex-test upgrade that renames a field fails at start-up with a message
 * pointing here instead of misbehaving later.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { GenericDataModel, UserIdentity } from "convex/server";
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import type { TestConvexForDataModel } from "convex-test";

type Doc = Record<string, Value>;

/** convex-test's `DatabaseFake` (one per component; only the root component is used). */
type DatabaseFake = {
  /** Committed documents by id. */
  _documents: Record<string, Doc>;
  /** Counter behind generated ids (`<counter><table>`). */
  _nextDocId: number;
  /** Keeps `_creationTime` strictly increasing. */
  _lastCreationTime: number;
  /** Staged writes, one level per nested transaction; `null` marks a delete. */
  _writes: Record<string, Doc | null>[];
  /** The schema documents are checked against: each table's `TableDefinition.export()`. */
  _schema: { schemaValidation: boolean; tables: Map<string, unknown> } | null;
  validateSchema(): void;
  get(table: string | undefined, id: string): Doc | null;
  insert(table: string, value: Doc): string;
  /** Takes fields in their JSON form, as the `1.0/shallowMerge` syscall passes them. */
  patch(table: string, id: string, value: Record<string, JSONValue>): void;
  _iterateDocs(table: string, callback: (doc: Doc) => void): void;
};

/** convex-test's `TransactionManager`: serializes top-level transactions and stamps commits. */
type TransactionManager = {
  /** Latest commit timestamp in Unix nanoseconds. */
  _lastCommitTs: bigint;
  commit(isNested: boolean): bigint | null;
};

/** The object convex-test keeps in an AsyncLocalStorage for each `convexTest()` instance. */
type ConvexGlobal = {
  components: Record<string, { db: DatabaseFake; modules: (path: string) => Promise<unknown> }>;
  transactionManager: TransactionManager;
  asyncSyscall: (op: string, jsonArgs: string) => Promise<string>;
};

/** What convex-test reads of a schema: a `SchemaDefinition` (of any copy of the `convex` package). */
export type SchemaLike = { schemaValidation: boolean; tables: Record<string, { export(): unknown }> };

/** What the server persists of the engine; every field is plain JSON. */
export type EngineSnapshot = {
  documents: JSONValue[];
  nextDocId: number;
  lastCreationTime: number;
  lastCommitTs: string;
};

export type SyscallHandler = (jsonArgs: string, next: (jsonArgs: string) => Promise<string>) => Promise<string>;

export type EngineInternals = {
  /** The latest commit timestamp (nanoseconds); what Transitions and MutationResponses carry. */
  currentTs(): bigint;
  /** Moves the commit clock forward so later commits are stamped after `ts`. */
  advanceTsTo(ts: bigint): void;
  /** Called after every top-level commit that wrote something, with the tables it wrote. */
  onCommit(listener: (tables: ReadonlySet<string>, ts: bigint) => void): void;
  /** Called on every document or table read (also inside mutations; filter by context). */
  onRead(listener: (table: string) => void): void;
  /**
   * Lets `wrap` replace the identity functions receive from `ctx.auth.getUserIdentity()`.
   * Resolves once convex-test's auth object has been found (it is created per request).
   */
  wrapIdentity(wrap: (identity: UserIdentity | null) => UserIdentity | null): Promise<void>;
  /** Replaces one async syscall; `next` is convex-test's own implementation. */
  interceptAsyncSyscall(op: string, handler: SyscallHandler): void;
  snapshot(): EngineSnapshot;
  /** Loads a snapshot (or none) into an engine that has run nothing yet; ids continue from `minNextDocId` at least. */
  restore(snapshot: EngineSnapshot | null, minNextDocId: number): void;
  /** Committed documents of one table (system tables included). */
  committedDocuments(table: string): Doc[];
  /** Every committed document's table. */
  tables(): string[];
  /**
   * Replaces the code functions are loaded from (`load("messages")` → the module) and the schema
   * writes are checked against, keeping the data. Call between transactions.
   */
  replaceCode(load: (path: string) => Promise<unknown>, schema: SchemaLike | null): void;
  /** Database access for code already inside a transaction (`t.run`). */
  tx: {
    get(table: string, id: string): Doc | null;
    insert(table: string, value: Doc): string;
    patch(table: string, id: string, fields: Record<string, JSONValue>): void;
  };
};

/** convex-test's own id scheme: the table name follows the leading digits. */
export function tableNameFromId(id: string): string {
  const digits = /^[0-9]+/.exec(id);
  return digits === null ? id : id.slice(digits[0].length);
}

/** convex-test's `AuthFake`: what `ctx.auth` is inside its functions. */
type AuthFake = { _userIdentity: UserIdentity | null; getUserIdentity(): Promise<UserIdentity | null> };

function isAuthFake(value: unknown): value is AuthFake {
  return (
    typeof value === "object" &&
    value !== null &&
    "_userIdentity" in value &&
    typeof (value as { getUserIdentity?: unknown }).getUserIdentity === "function"
  );
}

function isConvexGlobal(value: unknown): value is ConvexGlobal {
  return typeof value === "object" && value !== null && "components" in value && "transactionManager" in value;
}

/**
 * Captures the instance's ConvexGlobal: every method of a convexTest() accessor runs
 * `convexGlobalStorage.run(convexGlobal, …)` synchronously, so watching AsyncLocalStorage#run during
 * one harmless call is enough to see it.
 */
function captureConvexGlobal(t: TestConvexForDataModel<GenericDataModel>): ConvexGlobal {
  const prototype = AsyncLocalStorage.prototype as { run: (...args: unknown[]) => unknown };
  const originalRun = prototype.run;
  let captured: ConvexGlobal | undefined;
  prototype.run = function (this: unknown, ...args: unknown[]) {
    if (captured === undefined && isConvexGlobal(args[0])) captured = args[0];
    return originalRun.apply(this, args);
  };
  try {
    void t.finishInProgressScheduledFunctions();
  } finally {
    prototype.run = originalRun;
  }
  if (captured === undefined) throw incompatible("no ConvexGlobal seen in AsyncLocalStorage#run");
  return captured;
}

function incompatible(detail: string): Error {
  return new Error(
    `The local Convex server (@tenant-workspace/convex-local) does not recognise this convex-test version (${detail}). ` +
      "It was written against convex-test 0.0.60; update packages/convex-local/src/convex-test-internals.ts.",
  );
}

function check(global: ConvexGlobal): void {
  const db = global.components[""]?.db as Partial<DatabaseFake> | undefined;
  const tm = global.transactionManager as Partial<TransactionManager> | undefined;
  const expectations: [boolean, string][] = [
    [typeof db?._documents === "object", "DatabaseFake._documents"],
    [typeof db?._nextDocId === "number", "DatabaseFake._nextDocId"],
    [typeof db?._lastCreationTime === "number", "DatabaseFake._lastCreationTime"],
    [Array.isArray(db?._writes), "DatabaseFake._writes"],
    [typeof db?.get === "function" && typeof db.insert === "function", "DatabaseFake.get/insert"],
    [typeof db?.patch === "function" && typeof db._iterateDocs === "function", "DatabaseFake.patch/_iterateDocs"],
    [db !== undefined && "_schema" in db && typeof db.validateSchema === "function", "DatabaseFake._schema"],
    [typeof global.components[""]?.modules === "function", "components[''].modules"],
    [typeof tm?._lastCommitTs === "bigint", "TransactionManager._lastCommitTs"],
    [typeof tm?.commit === "function", "TransactionManager.commit"],
    [typeof global.asyncSyscall === "function", "ConvexGlobal.asyncSyscall"],
  ];
  for (const [ok, what] of expectations) if (!ok) throw incompatible(`missing ${what}`);
}

/** Hooks into a fresh convexTest() instance; call before it runs any function. */
export function attachInternals(t: TestConvexForDataModel<GenericDataModel>): EngineInternals {
  const global = captureConvexGlobal(t);
  check(global);
  const db = global.components[""]!.db;
  const tm = global.transactionManager;

  const commitListeners: ((tables: ReadonlySet<string>, ts: bigint) => void)[] = [];
  const commit = tm.commit.bind(tm);
  tm.commit = (isNested) => {
    // Only the outermost commit applies writes; nested ones merge into their parent.
    const staged = isNested ? undefined : db._writes[db._writes.length - 1];
    const ts = commit(isNested);
    if (staged !== undefined && ts !== null) {
      const tables = new Set(Object.keys(staged).map(tableNameFromId));
      if (tables.size > 0) for (const listener of commitListeners) listener(tables, ts);
    }
    return ts;
  };

  const readListeners: ((table: string) => void)[] = [];
  const get = db.get.bind(db);
  db.get = (table, id) => {
    const name = table ?? tableNameFromId(id);
    for (const listener of readListeners) listener(name);
    return get(table, id);
  };
  // convex-test finds a table's documents by scanning the ids of every table, so each index
  // lookup costs as much as the whole database; a long-running server grows until that dominates.
  // Keep each table's ids as the committed documents change (all changes pass through the proxy).
  const tableIds = new Map<string, Set<string>>();
  const idsOf = (table: string) => {
    let ids = tableIds.get(table);
    if (ids === undefined) tableIds.set(table, (ids = new Set()));
    return ids;
  };
  const indexDocuments = (documents: Record<string, Doc>) => {
    tableIds.clear();
    for (const id of Object.keys(documents)) idsOf(tableNameFromId(id)).add(id);
    return new Proxy(documents, {
      set(target, id, value, receiver) {
        if (typeof id === "string") idsOf(tableNameFromId(id)).add(id);
        return Reflect.set(target, id, value, receiver);
      },
      deleteProperty(target, id) {
        if (typeof id === "string") tableIds.get(tableNameFromId(id))?.delete(id);
        return Reflect.deleteProperty(target, id);
      },
    });
  };
  db._documents = indexDocuments(db._documents);
  db._iterateDocs = (table, callback) => {
    for (const listener of readListeners) listener(table);
    // As convex-test's own: committed ids, then ids written by the open transaction levels.
    const ids = new Set(tableIds.get(table));
    for (const level of db._writes) {
      for (const id of Object.keys(level)) if (tableNameFromId(id) === table) ids.add(id);
    }
    for (const id of ids) {
      const document = db.get(table, id);
      if (document !== null) callback(document);
    }
  };

  const handlers = new Map<string, SyscallHandler>();
  const asyncSyscall = global.asyncSyscall;
  global.asyncSyscall = (op, jsonArgs) => {
    const handler = handlers.get(op);
    return handler === undefined ? asyncSyscall(op, jsonArgs) : handler(jsonArgs, (args) => asyncSyscall(op, args));
  };

  let identityWrapped: Promise<void> | undefined;
  const wrapIdentity = (wrap: (identity: UserIdentity | null) => UserIdentity | null) =>
    (identityWrapped ??= (async () => {
      // convex-test's AuthFake is private; one is handed to AsyncLocalStorage#run for every
      // function it runs, so an empty transaction shows it. Its prototype is patched once.
      const prototype = AsyncLocalStorage.prototype as { run: (...args: unknown[]) => unknown };
      const originalRun = prototype.run;
      let authFake: AuthFake | undefined;
      prototype.run = function (this: unknown, ...args: unknown[]) {
        if (authFake === undefined && isAuthFake(args[0])) authFake = args[0];
        return originalRun.apply(this, args);
      };
      try {
        await t.run(async () => {});
      } finally {
        prototype.run = originalRun;
      }
      if (authFake === undefined) throw incompatible("no AuthFake seen in AsyncLocalStorage#run");
      const authPrototype = Object.getPrototypeOf(authFake) as AuthFake;
      authPrototype.getUserIdentity = function (this: AuthFake) {
        return Promise.resolve(wrap(this._userIdentity));
      };
    })());

  return {
    wrapIdentity,
    currentTs: () => tm._lastCommitTs,
    advanceTsTo: (ts) => {
      if (ts > tm._lastCommitTs) tm._lastCommitTs = ts;
    },
    onCommit: (listener) => void commitListeners.push(listener),
    onRead: (listener) => void readListeners.push(listener),
    interceptAsyncSyscall: (op, handler) => void handlers.set(op, handler),
    snapshot: () => ({
      documents: Object.values(db._documents).map((doc) => convexToJson(doc)),
      nextDocId: db._nextDocId,
      lastCreationTime: db._lastCreationTime,
      lastCommitTs: tm._lastCommitTs.toString(),
    }),
    restore: (snapshot, minNextDocId) => {
      db._nextDocId = Math.max(db._nextDocId, minNextDocId);
      if (snapshot === null) return;
      const documents: Record<string, Doc> = {};
      let lastCreationTime = snapshot.lastCreationTime;
      for (const json of snapshot.documents) {
        const doc = jsonToConvex(json) as Doc;
        const id = doc._id;
        if (typeof id !== "string") throw new Error("Stored document without an _id");
        documents[id] = doc;
        if (typeof doc._creationTime === "number") lastCreationTime = Math.max(lastCreationTime, doc._creationTime);
      }
      db._documents = indexDocuments(documents);
      db._nextDocId = Math.max(db._nextDocId, snapshot.nextDocId);
      db._lastCreationTime = Math.max(db._lastCreationTime, lastCreationTime);
      const lastCommitTs = BigInt(snapshot.lastCommitTs);
      if (lastCommitTs > tm._lastCommitTs) tm._lastCommitTs = lastCommitTs;
    },
    tables: () => [...tableIds.entries()].filter(([, ids]) => ids.size > 0).map(([table]) => table),
    replaceCode: (load, schema) => {
      global.components[""]!.modules = load;
      // As convex-test's DatabaseFake constructor builds it.
      db._schema =
        schema === null
          ? null
          : {
              schemaValidation: schema.schemaValidation,
              tables: new Map(Object.entries(schema.tables).map(([name, table]) => [name, table.export()])),
            };
      db.validateSchema();
    },
    committedDocuments: (table) =>
      Object.entries(db._documents)
        .filter(([id]) => tableNameFromId(id) === table)
        .map(([, doc]) => doc),
    tx: {
      get: (table, id) => db.get(table, id),
      insert: (table, value) => db.insert(table, value),
      patch: (table, id, fields) => db.patch(table, id, fields),
    },
  };
}
