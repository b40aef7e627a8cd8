/**
 * The one module that reaches into convex-test's private state.
 *
 * convex-test (written against 0.0.60, node_modules/convex-test/dist/index.js) is a test mock: it has
 * no public API to save and restore its in-memory database, to tell when a transaction commits, to
 * see which tables a query read, to take over the scheduler, file storage or search queries, to
 * hand an HTTP action the request that arrived, or to check each syscall against Convex's limits. A
 * long-running server needs all of it, so this module captures convex-test's per-instance
 * "ConvexGlobal" object and wraps a few of its methods. Everything it touches is named in
 * `ConvexGlobal` below and checked in `attachInternals`, so a convex-test upgrade that renames a field
 * fails at start-up with a message pointing here instead of misbehaving later.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { GenericDataModel, UserIdentity } from "convex/server";
import {
  CommitTsPlaceholder,
  convexToJson,
  getConvexSize,
  jsonToConvex,
  type JSONValue,
  type Value,
} from "convex/values";
import type { TestConvexForDataModel } from "convex-test";

import { isFieldName } from "./validators";

export type Doc = Record<string, Value>;

/** convex-test's `DatabaseFake` (one per component: the app's at path "", each component's at its path). */
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
  delete(table: string, id: string): void;
  _iterateDocs(table: string, callback: (doc: Doc) => void): void;
  /** The rows a query starts with and its compiled `.filter` / `.take` operators. */
  _resolveQuerySource(query: QueryJson): { filterFn: (doc: Doc) => boolean; limit: number | null };
  _nextQueryId: number;
  startQuery(query: QueryJson): number;
  queryNext(queryId: number): { value: Doc | null; done: boolean };
  paginate(args: PageRequest): PageResult;
};

/** A query as `1.0/queryStream` and `1.0/queryPage` carry it. */
type QueryJson = {
  source: { type: string; tableName?: string; indexName?: string; filters?: unknown; order?: string | null };
  operators: unknown[];
};

/** What convex-test's `paginate` takes and answers. */
export type PageRequest = {
  query: QueryJson;
  cursor: string | null;
  endCursor?: string | null;
  pageSize: number;
  maximumRowsRead?: number;
  maximumBytesRead?: number;
};
export type PageResult = {
  page: Doc[];
  isDone: boolean;
  continueCursor: string;
  splitCursor?: string | null;
  pageStatus?: string | null;
};

/** A filter of `withSearchIndex`, as the `convex` package serializes it. */
export type SearchFilterJson =
  { type: "Search"; fieldPath: string; value: string } | { type: "Eq"; fieldPath: string; value: JSONValue };

/** A schema's search index (`TableDefinition.export().searchIndexes`). */
export type SearchIndexDefinition = { indexDescriptor: string; searchField: string; filterFields: string[] };

/** One search query: its index, filters, the table's documents and the query's own operators. */
export type SearchRequest = {
  table: string;
  indexName: string;
  filters: SearchFilterJson[];
  /** Null when the schema declares no such search index. */
  index: SearchIndexDefinition | null;
  documents: Doc[];
  /** The query's `.filter(...)` operators. */
  filter: (doc: Doc) => boolean;
  /** The query's `.take(n)` / `.first()` limit. */
  limit: number | null;
};

/** Answers the queries that begin with a search index in place of convex-test. */
export type SearchEngine = {
  /** The results one by one (`collect`, `take`, `first`, iteration). */
  stream(request: SearchRequest): () => { value: Doc | null; done: boolean };
  /** One page (`paginate`). */
  page(request: SearchRequest, page: Omit<PageRequest, "query">): PageResult;
};

/** A job written to `_scheduled_functions` by `ctx.scheduler.runAfter` / `runAt`. */
export type ScheduledJob = { id: string; name: string; scheduledTime: number };

/** convex-test's `TransactionManager`: serializes top-level transactions and stamps commits. */
type TransactionManager = {
  /** Latest commit timestamp in Unix nanoseconds. */
  _lastCommitTs: bigint;
  commit(isNested: boolean): bigint | null;
  /** True while a query or mutation runs (actions run outside any transaction). */
  isInTransaction(): boolean;
  /**
   * The open transaction's usage counter (convex-test counts even when it enforces no limit), which
   * also counts scheduled functions; null or undefined outside a transaction.
   */
  getMetricsTracker():
    | {
        trackScheduledFunction(argsSizeBytes: number): void;
        /** The innermost transaction's layer: its counters, as `getTransactionMetrics` reads them. */
        _current(): { metrics: TransactionUsage } | undefined;
      }
    | null
    | undefined;
};

/** The object convex-test keeps in an AsyncLocalStorage for each `convexTest()` instance. */
type ConvexGlobal = {
  components: Record<string, { db: DatabaseFake; modules: (path: string) => Promise<unknown> }>;
  transactionManager: TransactionManager;
  syscall: (op: string, jsonArgs: string) => string;
  asyncSyscall: (op: string, jsonArgs: string) => Promise<string>;
  /** Syscalls that pass JavaScript values (Blobs) rather than JSON: `storage/storeBlob`, `storage/getBlob`. */
  jsSyscall: (op: string, args: Record<string, unknown>) => Promise<unknown>;
};

/** What the open transaction has used so far, as convex-test counts it in its syscalls. */
export type TransactionUsage = {
  bytesRead: number;
  documentsRead: number;
  bytesWritten: number;
  documentsWritten: number;
  functionsScheduled: number;
  scheduledFunctionArgsBytes: number;
};

/** What convex-test reads of a schema: a `SchemaDefinition` (of any copy of the `convex` package). */
export type SchemaLike = { schemaValidation: boolean; tables: Record<string, { export(): unknown }> };

/** One component's committed data, as the server persists it. */
export type ComponentSnapshot = { documents: JSONValue[]; nextDocId: number; lastCreationTime: number };

/** What the server persists of the engine; every field is plain JSON. */
export type EngineSnapshot = {
  documents: JSONValue[];
  nextDocId: number;
  lastCreationTime: number;
  lastCommitTs: string;
  /** Each component's data by component path (kept when a push stops using the component). */
  components?: Record<string, ComponentSnapshot>;
};

/** A component of the code: where it is in the tree, its modules, its schema. */
export type ComponentCode = { path: string; load: (path: string) => Promise<unknown>; schema: SchemaLike | null };

/**
 * One top-level commit as the write-ahead log keeps it: each written document as committed (JSON;
 * null for a delete), the commit timestamp, and the counters an insert moved.
 */
export type CommittedWrites = {
  ts: string;
  writes: [id: string, document: JSONValue | null][];
  nextDocId: number;
  lastCreationTime: number;
  /** The same for each component whose database the commit wrote, by component path. */
  components?: Record<string, Omit<CommittedWrites, "ts" | "components">>;
};

export type SyscallHandler = (jsonArgs: string, next: (jsonArgs: string) => Promise<string>) => Promise<string>;
export type JsSyscallHandler = (
  args: Record<string, unknown>,
  next: (args: Record<string, unknown>) => Promise<unknown>,
) => Promise<unknown>;

/** A document write staged in the open transaction's innermost level: present, or not there at all. */
export type StagedWrite = { present: true; value: Doc | null } | { present: false };

export type EngineInternals = {
  /** The latest commit timestamp (nanoseconds); what Transitions and MutationResponses carry. */
  currentTs(): bigint;
  /** Moves the commit clock forward so later commits are stamped after `ts`. */
  advanceTsTo(ts: bigint): void;
  /**
   * Called after every top-level commit that wrote something, with the tables it wrote (a
   * component's tables as `<component path>/<table>`, as reads are reported too).
   */
  onCommit(listener: (tables: ReadonlySet<string>, ts: bigint) => void): void;
  /** Called first, synchronously, after every top-level commit that wrote something, with what it wrote. */
  onCommitWrites(listener: (commit: CommittedWrites) => void): void;
  /** Called on every document or table read (also inside mutations; filter by context). */
  onRead(listener: (table: string) => void): void;
  /**
   * Lets `wrap` replace the identity functions receive from `ctx.auth.getUserIdentity()`.
   * Resolves once convex-test's auth object has been found (it is created per request).
   */
  wrapIdentity(wrap: (identity: UserIdentity | null) => UserIdentity | null): Promise<void>;
  /**
   * Replaces one async syscall; `next` is convex-test's own implementation, or the handler
   * registered before this one for the same syscall.
   */
  interceptAsyncSyscall(op: string, handler: SyscallHandler): void;
  /** Replaces one JavaScript syscall (the ones actions' `ctx.storage.store/get` make). */
  interceptJsSyscall(op: string, handler: JsSyscallHandler): void;
  /**
   * The running function's own context: convex-test makes one for every run, nested calls
   * included; undefined outside any. Known once `wrapIdentity` has resolved.
   */
  currentRun(): object | undefined;
  /** The context `run` was entered from: its caller's, or undefined for a call from outside. */
  callerOf(run: object): object | undefined;
  /** Whether the caller runs inside a query's or mutation's transaction (not in an action). */
  inTransaction(): boolean;
  /**
   * Runs `fn` (which routes an HTTP action) so that the route's handler receives `request`, the
   * request as it arrived, instead of the one convex-test makes up on `https://some.convex.site`.
   */
  withHttpRequest<T>(request: Request, fn: () => T): T;
  /**
   * Takes `ctx.scheduler` over from convex-test: jobs are written to `_scheduled_functions` as
   * convex-test writes them, but no timer of convex-test's runs them; `onScheduled` hears of each
   * (inside the scheduling function's transaction, which may still roll back). Canceling completes
   * a pending or running job as `canceled` at `now()`, and leaves a finished one alone.
   */
  takeOverScheduler(options: { onScheduled: (job: ScheduledJob) => void; now: () => number }): void;
  /** Answers queries that begin with `withSearchIndex` with `engine` instead of convex-test. */
  interceptSearch(engine: SearchEngine): void;
  /** Runs every syscall (sync, and the synchronous part of async ones) inside `around`. */
  aroundSyscalls(around: <T>(op: string, run: () => T) => T): void;
  /**
   * The open transaction's usage, or null outside a transaction (in an action): convex-test's own
   * counters, not a copy (the limits read them at every syscall), so they move with the next
   * database call.
   */
  transactionUsage(): Readonly<TransactionUsage> | null;
  /** What the open transaction has staged for `id` in its innermost level. */
  stagedWrite(id: string): StagedWrite;
  /** Puts back what `stagedWrite` returned, taking back a write made since. */
  restoreStagedWrite(id: string, staged: StagedWrite): void;
  snapshot(): EngineSnapshot;
  /** Loads a snapshot (or none) into an engine that has run nothing yet; ids continue from `minNextDocId` at least. */
  restore(snapshot: EngineSnapshot | null, minNextDocId: number): void;
  /** Committed documents of one table (system tables included; `<component path>/<table>` for a component's). */
  committedDocuments(table: string): Doc[];
  /**
   * Makes `components` the components functions can call, each with its code and schema; a
   * component already known keeps its data. Call between transactions, with `replaceCode`.
   */
  setComponents(components: ComponentCode[]): void;
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
    delete(table: string, id: string): void;
  };
  /**
   * Inside a transaction: writes a document into one of the app's tables as a snapshot import
   * does, keeping the `_id` (in this engine's form, naming `table`) and `_creationTime` it
   * carries and making them when it has none. Ids made later never repeat an imported one. The
   * schema is not checked here (the importer checks it, in a deployment's words). Returns the id.
   */
  importDocument(table: string, document: Doc): string;
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

/** convex-test's execution context: the store it keeps for each running function. */
function isExecutionContext(value: unknown): boolean {
  return typeof value === "object" && value !== null && "componentPath" in value && "udfPath" in value;
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
    [typeof db?.delete === "function", "DatabaseFake.delete"],
    [db !== undefined && "_schema" in db && typeof db.validateSchema === "function", "DatabaseFake._schema"],
    [typeof global.components[""]?.modules === "function", "components[''].modules"],
    [typeof tm?._lastCommitTs === "bigint", "TransactionManager._lastCommitTs"],
    [typeof tm?.commit === "function", "TransactionManager.commit"],
    [typeof tm?.isInTransaction === "function", "TransactionManager.isInTransaction"],
    [typeof global.syscall === "function", "ConvexGlobal.syscall"],
    [typeof global.asyncSyscall === "function", "ConvexGlobal.asyncSyscall"],
    [typeof global.jsSyscall === "function", "ConvexGlobal.jsSyscall"],
    [typeof tm?.getMetricsTracker === "function", "TransactionManager.getMetricsTracker"],
    [typeof db?.startQuery === "function" && typeof db.queryNext === "function", "DatabaseFake.startQuery/queryNext"],
    [typeof db?.paginate === "function" && typeof db._nextQueryId === "number", "DatabaseFake.paginate/_nextQueryId"],
    [typeof db?._resolveQuerySource === "function", "DatabaseFake._resolveQuerySource"],
  ];
  for (const [ok, what] of expectations) if (!ok) throw incompatible(`missing ${what}`);
}

/** `convexToJson(value)` for plain JSON data (fields sorted), or undefined for anything else in it. */
function plainJson(value: unknown): JSONValue | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? value : undefined;
    case "object":
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  if (Array.isArray(value)) {
    const items: JSONValue[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = plainJson(value[i]);
      if (item === undefined) return undefined;
      items.push(item);
    }
    return items;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const object = value as Record<string, unknown>;
  const fields: Record<string, JSONValue> = {};
  for (const key of Object.keys(object).sort()) {
    const item = object[key];
    if (item === undefined) continue;
    if (!isFieldName(key)) return undefined;
    const json = plainJson(item);
    if (json === undefined) return undefined;
    fields[key] = json;
  }
  return fields;
}

/**
 * A document as `convexToJson` gives it, which the log and the snapshot take of every document
 * they write: plain data is copied without that function's cost (its entry pairs, a path text per
 * field); a document with anything else in it (int64, bytes, NaN) goes through it whole.
 */
function documentJson(doc: Doc): JSONValue {
  return plainJson(doc) ?? convexToJson(doc);
}

/** Each run's context (convex-test's), and the context it was entered from: its caller's. */
const callers = new WeakMap<object, object | undefined>();
const noting = new WeakSet<object>();

/**
 * Notes each context convex-test enters in `storage` with the one it was entered from, so that a
 * run's caller is known without a store of this server's own (each one slows every promise). The
 * store is convex-test's module's, shared by every engine: hooked once, and through the prototype's
 * `run` (which another engine's `wrapIdentity` watches).
 */
function noteCallers(storage: AsyncLocalStorage<object>): void {
  if (noting.has(storage)) return;
  noting.add(storage);
  const prototype = AsyncLocalStorage.prototype as { run: (...args: unknown[]) => unknown };
  (storage as unknown as { run: (...args: unknown[]) => unknown }).run = (...args: unknown[]) => {
    const store = args[0];
    if (typeof store === "object" && store !== null) callers.set(store, storage.getStore());
    return prototype.run.apply(storage, args);
  };
}

/** The request an HTTP action is being routed for (see `withHttpRequest`). */
const httpRequestStorage = new AsyncLocalStorage<Request>();
/** HTTP actions under way: the store is enabled only while there are some (an enabled store slows every promise). */
let httpRequestsRouted = 0;

function withHttpRequest<T>(request: Request, fn: () => T): T {
  httpRequestsRouted += 1;
  const done = () => {
    httpRequestsRouted -= 1;
    if (httpRequestsRouted === 0) httpRequestStorage.disable();
  };
  let result: T;
  try {
    result = httpRequestStorage.run(request, fn);
  } catch (error) {
    done();
    throw error;
  }
  if (result instanceof Promise) result.then(done, done);
  else done();
  return result;
}

/** What `convex/http.ts` exports by default: an `HttpRouter`, as convex-test calls it. */
type RouterLike = { lookup(path: string, method: string): [RouteHandler, ...unknown[]] | null };
/** convex-test calls `func._handler` when present (its `getHandler`), else `func` itself. */
type RouteHandler = { _handler?: (ctx: unknown, request: Request) => unknown } & object;

function isRouter(value: unknown): value is RouterLike {
  return typeof value === "object" && value !== null && typeof (value as { lookup?: unknown }).lookup === "function";
}

/**
 * convex-test's `t.fetch` hands a route's handler a Request it builds on a made-up host. The
 * `http` module it loads gets a router whose routes call their handler with the request that
 * arrived (when one is set with `withHttpRequest`).
 */
function withArrivedRequests(load: (path: string) => Promise<unknown>): (path: string) => Promise<unknown> {
  const wrapped = new WeakMap<object, unknown>();
  const wrapRoute = (route: RouteHandler): RouteHandler => {
    const handler =
      route._handler ?? (typeof route === "function" ? (route as (ctx: unknown, request: Request) => unknown) : null);
    if (handler === null) return route;
    return Object.assign(Object.create(route) as RouteHandler, {
      _handler: (ctx: unknown, request: Request) => handler(ctx, httpRequestStorage.getStore() ?? request),
    });
  };
  return async (modulePath) => {
    const loaded = (await load(modulePath)) as Record<string, unknown> | null;
    if (modulePath !== "http" || loaded === null || !isRouter(loaded.default)) return loaded;
    let replaced = wrapped.get(loaded);
    if (replaced === undefined) {
      const router = loaded.default;
      const lookup: RouterLike["lookup"] = (path, method) => {
        const found = router.lookup(path, method);
        return found === null ? null : [wrapRoute(found[0]), ...found.slice(1)];
      };
      replaced = {
        ...loaded,
        default: new Proxy(router, {
          get: (target, name) => (name === "lookup" ? lookup : Reflect.get(target, name)) as unknown,
        }),
      };
      wrapped.set(loaded, replaced);
    }
    return replaced;
  };
}

/** Whether a value holds a commit-timestamp placeholder, which a scheduled function cannot take. */
function hasPendingValues(value: unknown): boolean {
  if (value instanceof CommitTsPlaceholder) return true;
  if (Array.isArray(value)) return value.some(hasPendingValues);
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).some(hasPendingValues);
  }
  return false;
}

/**
 * The app's function a scheduler syscall names (by name, or by a handle of the root component), or
 * null for a component's function.
 */
function scheduledFunctionName(address: { name?: string; functionHandle?: string; reference?: string }): string | null {
  if (address.functionHandle !== undefined) {
    const [componentPath, udfPath] = address.functionHandle.replace(/^function:\/\//, "").split(";");
    return componentPath === "" && udfPath !== undefined ? udfPath : null;
  }
  return address.reference === undefined && address.name !== undefined ? address.name : null;
}

/** Hooks into a fresh convexTest() instance; call before it runs any function. */
export function attachInternals(t: TestConvexForDataModel<GenericDataModel>): EngineInternals {
  const global = captureConvexGlobal(t);
  check(global);
  const db = global.components[""]!.db;
  const tm = global.transactionManager;
  const readListeners: ((table: string) => void)[] = [];
  const commitListeners: ((tables: ReadonlySet<string>, ts: bigint) => void)[] = [];

  /**
   * Reports reads of a component's database and keeps an index of its tables: convex-test finds a
   * table's documents by scanning the ids of every table, so each index lookup costs as much as the
   * whole database, and a long-running server grows until that dominates. Each table's ids are kept
   * as the committed documents change (all changes pass through the proxy). Tables are named
   * `<prefix><table>` to listeners: "" for the app, `<component path>/` for a component.
   */
  type Tracked = { db: DatabaseFake; prefix: string; restore(documents: Record<string, Doc>): void };
  const tracked = new Map<string, Tracked>();
  const tableIdsOf = new Map<string, Map<string, Set<string>>>();
  const track = (componentPath: string, target: DatabaseFake): Tracked => {
    const prefix = componentPath === "" ? "" : `${componentPath}/`;
    const tableIds = new Map<string, Set<string>>();
    tableIdsOf.set(componentPath, tableIds);
    const idsOf = (table: string) => {
      let ids = tableIds.get(table);
      if (ids === undefined) tableIds.set(table, (ids = new Set()));
      return ids;
    };
    const indexDocuments = (documents: Record<string, Doc>) => {
      tableIds.clear();
      for (const id of Object.keys(documents)) idsOf(tableNameFromId(id)).add(id);
      return new Proxy(documents, {
        set(proxied, id, value, receiver) {
          if (typeof id === "string") idsOf(tableNameFromId(id)).add(id);
          return Reflect.set(proxied, id, value, receiver);
        },
        deleteProperty(proxied, id) {
          if (typeof id === "string") tableIds.get(tableNameFromId(id))?.delete(id);
          return Reflect.deleteProperty(proxied, id);
        },
      });
    };
    const get = target.get.bind(target);
    target.get = (table, id) => {
      const name = table ?? tableNameFromId(id);
      for (const listener of readListeners) listener(prefix + name);
      return get(table, id);
    };
    target._documents = indexDocuments(target._documents);
    target._iterateDocs = (table, callback) => {
      for (const listener of readListeners) listener(prefix + table);
      // As convex-test's own: committed ids, then ids written by the open transaction levels.
      const ids = new Set(tableIds.get(table));
      for (const level of target._writes) {
        for (const id of Object.keys(level)) if (tableNameFromId(id) === table) ids.add(id);
      }
      for (const id of ids) {
        const document = target.get(table, id);
        if (document !== null) callback(document);
      }
    };
    const entry = {
      db: target,
      prefix,
      restore: (documents: Record<string, Doc>) => void (target._documents = indexDocuments(documents)),
    };
    tracked.set(componentPath, entry);
    return entry;
  };
  track("", db);

  const writesListeners: ((commit: CommittedWrites) => void)[] = [];
  const commit = tm.commit.bind(tm);
  tm.commit = (isNested) => {
    // Only the outermost commit applies writes; nested ones merge into their parent.
    const staged = isNested
      ? []
      : [...tracked.entries()].map(([componentPath, { db: target, prefix }]) => ({
          componentPath,
          target,
          prefix,
          ids: Object.keys(target._writes[target._writes.length - 1] ?? {}),
        }));
    const ts = commit(isNested);
    if (ts !== null) {
      const tables = new Set<string>();
      for (const { prefix, ids } of staged) for (const id of ids) tables.add(prefix + tableNameFromId(id));
      if (tables.size === 0) return ts;
      if (writesListeners.length > 0) {
        // As committed: convex-test resolves commit-timestamp placeholders while it applies them.
        const written = (target: DatabaseFake, ids: string[]) =>
          ids.map((id): [string, JSONValue | null] => {
            const doc = target._documents[id];
            return [id, doc === undefined ? null : documentJson(doc)];
          });
        const components: NonNullable<CommittedWrites["components"]> = {};
        for (const { componentPath, target, ids } of staged) {
          if (componentPath === "" || ids.length === 0) continue;
          components[componentPath] = {
            writes: written(target, ids),
            nextDocId: target._nextDocId,
            lastCreationTime: target._lastCreationTime,
          };
        }
        const commitWrites: CommittedWrites = {
          ts: ts.toString(),
          writes: written(db, staged.find((level) => level.componentPath === "")?.ids ?? []),
          nextDocId: db._nextDocId,
          lastCreationTime: db._lastCreationTime,
          ...(Object.keys(components).length > 0 && { components }),
        };
        for (const listener of writesListeners) listener(commitWrites);
      }
      for (const listener of commitListeners) listener(tables, ts);
    }
    return ts;
  };

  const handlers = new Map<string, SyscallHandler>();
  let around = <T>(_op: string, run: () => T): T => run();
  // Replacements of convex-test's own implementation (the scheduler's): innermost, under every
  // interceptor, so checks registered with `interceptAsyncSyscall` still see each call.
  const replaced = new Map<string, SyscallHandler>();
  const convexTestAsyncSyscall = global.asyncSyscall;
  const asyncSyscall = (op: string, jsonArgs: string) => {
    const replacement = replaced.get(op);
    return replacement === undefined
      ? convexTestAsyncSyscall(op, jsonArgs)
      : replacement(jsonArgs, (args) => convexTestAsyncSyscall(op, args));
  };
  global.asyncSyscall = (op, jsonArgs) =>
    around(op, () => {
      const handler = handlers.get(op);
      return handler === undefined ? asyncSyscall(op, jsonArgs) : handler(jsonArgs, (args) => asyncSyscall(op, args));
    });
  const syscall = global.syscall;
  global.syscall = (op, jsonArgs) => around(op, () => syscall(op, jsonArgs));
  const jsHandlers = new Map<string, JsSyscallHandler>();
  const jsSyscall = global.jsSyscall;
  global.jsSyscall = (op, args) => {
    const handler = jsHandlers.get(op);
    return handler === undefined ? jsSyscall(op, args) : handler(args, (next) => jsSyscall(op, next));
  };

  // convex-test's private store of the running function's context (its component among others),
  // seen in the same harmless transaction as the AuthFake below.
  let executionContext: AsyncLocalStorage<{ componentPath?: string }> | undefined;
  const currentComponentPath = () => executionContext?.getStore()?.componentPath ?? "";
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
        if (executionContext === undefined && isExecutionContext(args[0])) {
          executionContext = this as AsyncLocalStorage<{ componentPath?: string }>;
        }
        return originalRun.apply(this, args);
      };
      try {
        await t.run(async () => {});
      } finally {
        prototype.run = originalRun;
      }
      if (authFake === undefined) throw incompatible("no AuthFake seen in AsyncLocalStorage#run");
      if (executionContext === undefined) throw incompatible("no execution context seen in AsyncLocalStorage#run");
      noteCallers(executionContext);
      const authPrototype = Object.getPrototypeOf(authFake) as AuthFake;
      authPrototype.getUserIdentity = function (this: AuthFake) {
        return Promise.resolve(wrap(this._userIdentity));
      };
    })());

  /** As convex-test's DatabaseFake constructor builds it. */
  const setSchema = (target: DatabaseFake, schema: SchemaLike | null) => {
    target._schema =
      schema === null
        ? null
        : {
            schemaValidation: schema.schemaValidation,
            tables: new Map(Object.entries(schema.tables).map(([name, table]) => [name, table.export()])),
          };
    target.validateSchema();
  };

  const snapshotOf = (target: DatabaseFake): ComponentSnapshot => ({
    documents: Object.values(target._documents).map(documentJson),
    nextDocId: target._nextDocId,
    lastCreationTime: target._lastCreationTime,
  });
  /** Restores one database; returns the latest creation time it holds. */
  const restoreInto = (entry: Tracked, snapshot: ComponentSnapshot) => {
    const documents: Record<string, Doc> = {};
    let lastCreationTime = snapshot.lastCreationTime;
    for (const json of snapshot.documents) {
      const doc = jsonToConvex(json) as Doc;
      const id = doc._id;
      if (typeof id !== "string") throw new Error("Stored document without an _id");
      documents[id] = doc;
      if (typeof doc._creationTime === "number") lastCreationTime = Math.max(lastCreationTime, doc._creationTime);
    }
    entry.restore(documents);
    entry.db._nextDocId = Math.max(entry.db._nextDocId, snapshot.nextDocId);
    entry.db._lastCreationTime = Math.max(entry.db._lastCreationTime, lastCreationTime);
  };
  /** Stored data of components the code does not use (yet, or any more): kept as it was. */
  const dormant = new Map<string, ComponentSnapshot>();

  const splitTable = (table: string): [string, string] => {
    const slash = table.lastIndexOf("/");
    return slash === -1 ? ["", table] : [table.slice(0, slash), table.slice(slash + 1)];
  };

  const takeOverScheduler: EngineInternals["takeOverScheduler"] = ({ onScheduled, now }) => {
    // As convex-test's own `1.0/schedule`, less its timer.
    replaced.set("1.0/schedule", (jsonArgs, next) => {
      const { args, ts, ...address } = JSON.parse(jsonArgs) as {
        name?: string;
        functionHandle?: string;
        reference?: string;
        args: JSONValue;
        ts: number;
      };
      const name = scheduledFunctionName(address);
      // A component's jobs (scheduled from inside it, or into it) stay with convex-test's own
      // scheduler, which runs them in their component.
      if (name === null || currentComponentPath() !== "") return next(jsonArgs);
      const value = jsonToConvex(args);
      if (hasPendingValues(value)) {
        throw new Error(
          `Invalid arguments for "${name}": a scheduled function cannot take an unresolved placeholder value.`,
        );
      }
      tm.getMetricsTracker()?.trackScheduledFunction(getConvexSize(value));
      const scheduledTime = ts * 1000;
      const id = db.insert("_scheduled_functions", {
        args: [value],
        name,
        scheduledTime,
        state: { kind: "pending" },
      });
      onScheduled({ id, name, scheduledTime });
      return Promise.resolve(JSON.stringify(convexToJson(id)));
    });
    replaced.set("1.0/cancel_job", (jsonArgs, next) => {
      if (currentComponentPath() !== "") return next(jsonArgs);
      const { id } = JSON.parse(jsonArgs) as { id: string };
      const job = db.get("_scheduled_functions", id) as { state?: { kind?: string } } | null;
      if (job?.state?.kind === "pending" || job?.state?.kind === "inProgress") {
        db.patch("_scheduled_functions", id, { state: { kind: "canceled" }, completedTime: now() });
      }
      return Promise.resolve(JSON.stringify({}));
    });
  };

  let searchEngine: SearchEngine | undefined;
  const searchStreams = new Map<number, () => { value: Doc | null; done: boolean }>();
  const searchRequest = (query: QueryJson): SearchRequest => {
    const indexName = query.source.indexName ?? "";
    const [table = "", index = ""] = indexName.split(".");
    // The query's operators, compiled by convex-test over a plain scan of the same table.
    const { filterFn, limit } = db._resolveQuerySource({
      source: { type: "FullTableScan", tableName: table, order: "asc" },
      operators: query.operators,
    });
    const documents: Doc[] = [];
    db._iterateDocs(table, (doc) => documents.push(doc));
    const definitions = (db._schema?.tables.get(table) as { searchIndexes?: SearchIndexDefinition[] } | undefined)
      ?.searchIndexes;
    return {
      table,
      indexName: index,
      filters: (query.source.filters ?? []) as SearchFilterJson[],
      index: definitions?.find((definition) => definition.indexDescriptor === index) ?? null,
      documents,
      filter: filterFn,
      limit,
    };
  };
  const startQuery = db.startQuery.bind(db);
  db.startQuery = (query) => {
    if (searchEngine === undefined || query.source.type !== "Search") return startQuery(query);
    const id = db._nextQueryId;
    db._nextQueryId += 1;
    searchStreams.set(id, searchEngine.stream(searchRequest(query)));
    // A stream its reader stopped reading early is never asked again: keep only the newest ones.
    if (searchStreams.size > 1000) searchStreams.delete(searchStreams.keys().next().value!);
    return id;
  };
  const queryNext = db.queryNext.bind(db);
  db.queryNext = (queryId) => {
    const next = searchStreams.get(queryId);
    if (next === undefined) return queryNext(queryId);
    const result = next();
    if (result.done) searchStreams.delete(queryId);
    return result;
  };
  const paginate = db.paginate.bind(db);
  db.paginate = (request) => {
    if (searchEngine === undefined || request.query.source.type !== "Search") return paginate(request);
    const { query, ...page } = request;
    return searchEngine.page(searchRequest(query), page);
  };

  return {
    takeOverScheduler,
    interceptSearch: (engine) => {
      searchEngine = engine;
    },
    wrapIdentity,
    currentTs: () => tm._lastCommitTs,
    advanceTsTo: (ts) => {
      if (ts > tm._lastCommitTs) tm._lastCommitTs = ts;
    },
    onCommit: (listener) => void commitListeners.push(listener),
    onCommitWrites: (listener) => void writesListeners.push(listener),
    onRead: (listener) => void readListeners.push(listener),
    interceptAsyncSyscall: (op, handler) => {
      const previous = handlers.get(op);
      handlers.set(op, previous === undefined ? handler : (args, next) => handler(args, (a) => previous(a, next)));
    },
    aroundSyscalls: (wrap) => {
      const inner = around;
      around = (op, run) => wrap(op, () => inner(op, run));
    },
    transactionUsage: () => {
      const tracker = tm.getMetricsTracker();
      if (tracker === null || tracker === undefined) return null;
      if (typeof tracker._current !== "function") throw incompatible("missing TransactionMetricsTracker._current");
      return tracker._current()?.metrics ?? null;
    },
    stagedWrite: (id) => {
      const level = db._writes[db._writes.length - 1];
      return level !== undefined && id in level ? { present: true, value: level[id]! } : { present: false };
    },
    restoreStagedWrite: (id, staged) => {
      const level = db._writes[db._writes.length - 1];
      if (level === undefined) return;
      if (staged.present) level[id] = staged.value;
      else delete level[id];
    },
    interceptJsSyscall: (op, handler) => void jsHandlers.set(op, handler),
    currentRun: () => executionContext?.getStore(),
    callerOf: (run) => callers.get(run),
    inTransaction: () => tm.isInTransaction(),
    withHttpRequest,
    snapshot: () => {
      const components: Record<string, ComponentSnapshot> = Object.fromEntries(dormant);
      for (const [componentPath, entry] of tracked) {
        if (componentPath !== "") components[componentPath] = snapshotOf(entry.db);
      }
      return {
        ...snapshotOf(db),
        lastCommitTs: tm._lastCommitTs.toString(),
        ...(Object.keys(components).length > 0 && { components }),
      };
    },
    restore: (snapshot, minNextDocId) => {
      db._nextDocId = Math.max(db._nextDocId, minNextDocId);
      if (snapshot === null) return;
      restoreInto(tracked.get("")!, snapshot);
      for (const [componentPath, stored] of Object.entries(snapshot.components ?? {})) {
        const entry = tracked.get(componentPath);
        if (entry === undefined) dormant.set(componentPath, stored);
        else restoreInto(entry, stored);
      }
      const lastCommitTs = BigInt(snapshot.lastCommitTs);
      if (lastCommitTs > tm._lastCommitTs) tm._lastCommitTs = lastCommitTs;
    },
    tables: () => [...tableIdsOf.get("")!.entries()].filter(([, ids]) => ids.size > 0).map(([table]) => table),
    replaceCode: (load, schema) => {
      global.components[""]!.modules = withArrivedRequests(load);
      setSchema(db, schema);
    },
    setComponents: (components) => {
      const used = new Set(components.map((component) => component.path));
      for (const [componentPath, entry] of tracked) {
        if (componentPath === "" || used.has(componentPath)) continue;
        // A component no longer used keeps its data (a deployment unmounts it), unreachable.
        dormant.set(componentPath, snapshotOf(entry.db));
        tracked.delete(componentPath);
        tableIdsOf.delete(componentPath);
        delete global.components[componentPath];
      }
      for (const component of components) {
        let entry = tracked.get(component.path);
        if (entry === undefined) {
          (
            t as unknown as { registerComponent(path: string, schema: null, modules: Record<string, unknown>): void }
          ).registerComponent(component.path, null, { "./_generated/api.js": () => Promise.resolve({}) });
          entry = track(component.path, global.components[component.path]!.db);
          // Registered inside the swap's transaction: open as many levels as the others have, so
          // the transaction's commit (which commits every component's database) finds them.
          for (let level = 0; level < db._writes.length; level++) entry.db._writes.push({});
          const stored = dormant.get(component.path);
          if (stored !== undefined) {
            restoreInto(entry, stored);
            dormant.delete(component.path);
          }
        }
        global.components[component.path]!.modules = component.load;
        setSchema(entry.db, component.schema);
      }
    },
    committedDocuments: (table) => {
      const [componentPath, name] = splitTable(table);
      const target = tracked.get(componentPath)?.db;
      if (target === undefined) return [];
      return Object.entries(target._documents)
        .filter(([id]) => tableNameFromId(id) === name)
        .map(([, doc]) => doc);
    },
    tx: {
      get: (table, id) => db.get(table, id),
      insert: (table, value) => db.insert(table, value),
      patch: (table, id, fields) => db.patch(table, id, fields),
      delete: (table, id) => db.delete(table, id),
    },
    importDocument: (table, document) => {
      const writes = db._writes[db._writes.length - 1];
      if (writes === undefined) throw new Error("importDocument outside of a transaction");
      let id = document._id;
      if (typeof id === "string") {
        const counter = Number(/^[0-9]+/.exec(id)?.[0]);
        if (tableNameFromId(id) !== table || !Number.isSafeInteger(counter)) {
          throw new Error(`The id ${id} does not name a document of table ${table}`);
        }
        db._nextDocId = Math.max(db._nextDocId, counter + 1);
      } else {
        const generate = (db as unknown as { _generateId?: (table: string) => string })._generateId;
        if (typeof generate !== "function") throw incompatible("missing DatabaseFake._generateId");
        id = generate.call(db, table);
      }
      let creationTime = document._creationTime;
      if (typeof creationTime !== "number") {
        // As convex-test's insert: strictly increasing creation times.
        const now = Date.now();
        creationTime = now <= db._lastCreationTime ? db._lastCreationTime + 0.001 : now;
      }
      db._lastCreationTime = Math.max(db._lastCreationTime, creationTime);
      // The fields first, then the system fields, as convex-test's insert orders them.
      const { _id, _creationTime, ...fields } = document;
      void _id;
      void _creationTime;
      writes[id] = { ...fields, _id: id, _creationTime: creationTime };
      return id;
    },
  };
}
