/**
 * The project's functions running on convex-test, with what a server needs around them: public /
 * internal checks, per-identity accessors, log capture, table-level read sets, a query result cache
 * shared by every caller with the same identity, pagination journals, and commit notifications.
 */
import { AsyncLocalStorage, type AsyncResource } from "node:async_hooks";
import { homedir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { convexTest, type TestConvexForDataModel } from "convex-test";
import { makeFunctionReference, type GenericDataModel, type UserIdentity } from "convex/server";
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { attachInternals, type ComponentCode, type EngineInternals, type SchemaLike } from "./convex-test-internals";
import type { DeploymentScope } from "./deployment-env";
import type { FunctionLog, UdfTypeJson } from "./function-log";
import { DeploymentError, Limits } from "./limits";
import { collector, logStorage, printFunctionLine, type LogCollector, type UdfKind } from "./logs";
import type { QueryJournal } from "./protocol";
import { textSearch } from "./search";
import { mapStackLocations } from "./source-maps";
import { argsKey } from "./values";

type Test = TestConvexForDataModel<GenericDataModel>;
export type Modules = Record<string, () => Promise<unknown>>;
export type Caller = { identity: UserIdentity; key: string } | null;

/**
 * A version of the code: the app's modules (`"./messages.js": () => import(…)`) and schema, which
 * modules are `"use node"` ones (`"actions/ai.js"`, whose actions have Node's shorter timeout), and
 * each component it uses (by component path).
 */
export type EngineCode = {
  modules: Modules;
  schema: SchemaLike | null;
  nodeModules?: readonly string[];
  components?: { path: string; modules: Modules; schema: SchemaLike | null }[];
};

/** Who asked, for the function log (`caller` of a deployment's log entries). */
export type CallSource = "WebSocket" | "HttpApi" | "Scheduler" | "Cron" | "HttpAction" | "Admin";

export type CallResult =
  | { ok: true; value: JSONValue; logLines: string[] }
  | { ok: false; errorMessage: string; errorData?: JSONValue; logLines: string[] };

export type QueryResult = CallResult & {
  journal: QueryJournal;
  /** Equal fingerprints mean a subscriber would see nothing new. */
  fingerprint: string;
  /** A commit landed on a table this run read after it read it: run it again. */
  stale: boolean;
};

export type MutationResult = CallResult & { ts: bigint };

type FunctionInfo = { kind: UdfKind; isPublic: boolean };

/** What one query run read: tables, and which parts of the caller's identity. */
type ReadTracker = {
  tables: Set<string>;
  snapshotGen: number | undefined;
  /** Whether the function asked for the identity at all, and whether it got none. */
  identityAsked: boolean;
  identityNull: boolean;
  /** Identity fields read; `allFields` when the function enumerated them (spread, JSON, keys). */
  identityFields: Set<string>;
  allFields: boolean;
};

/**
 * For whom a cached result holds. Sessions differ in claims functions rarely read (Clerk's `sid`),
 * so results are shared between callers that agree on every identity field the run read.
 */
type IdentityDependence =
  { kind: "none" } | { kind: "null" } | { kind: "exact"; key: string } | { kind: "fields"; fields: [string, string][] };
type JournalState = { endCursor: string | undefined; recorded: string | undefined };
type Cached = { baseKey: string; result: QueryResult; tables: ReadonlySet<string>; identity: IdentityDependence };

function fieldValue(value: unknown): string {
  return value === undefined ? "-" : JSON.stringify(value);
}

function holdsFor(dependence: IdentityDependence, caller: Caller): boolean {
  switch (dependence.kind) {
    case "none":
      return true;
    case "null":
      return caller === null;
    case "exact":
      return caller?.key === dependence.key;
    case "fields": {
      if (caller === null) return false;
      const identity = caller.identity as Record<string, unknown>;
      return dependence.fields.every(([field, value]) => fieldValue(identity[field]) === value);
    }
  }
}

/** convex-test's marker for "to the end of the range". */
const END_CURSOR = "_end_cursor";
/** A deployment refuses a page of more items than one transaction may read (TRANSACTION_MAX_READ_SIZE_ROWS). */
const MAX_PAGE_SIZE = 16384;
/**
 * A page whose end the client supplies (its journal, or `endCursor`) holds at most this many times
 * `numItems`: past it the real clients split a page themselves (use_paginated_query.ts,
 * paginated_query_client.ts), so a page that grew further comes back `SplitRequired`.
 */
const PAGE_GROWTH_LIMIT = 2;
const CACHE_LIMIT = 5000;
const COMMIT_LOG_LIMIT = 1024;

/** `tasks` → `tasks:default`, `tasks.js:list` → `tasks:list`, as the Convex clients canonicalize. */
export function canonicalizeUdfPath(udfPath: string): string {
  const separator = udfPath.lastIndexOf(":");
  let modulePath = separator === -1 ? udfPath : udfPath.slice(0, separator);
  const name = separator === -1 ? "default" : udfPath.slice(separator + 1);
  if (modulePath.endsWith(".js")) modulePath = modulePath.slice(0, -3);
  return `${modulePath}:${name}`;
}

/**
 * A cursor as convex-test makes them: its end marker, or the JSON list of a row's sort keys. Anything
 * else is refused with the error a deployment gives, which the real clients answer by starting over.
 */
function checkCursor(cursor: string | null | undefined): void {
  if (cursor === null || cursor === undefined || cursor === END_CURSOR) return;
  try {
    const keys: unknown = JSON.parse(cursor);
    if (!Array.isArray(keys)) throw new Error("not a list");
    for (const key of keys) {
      if (key === null) continue;
      if (typeof key !== "string") throw new Error("not a key");
      jsonToConvex(JSON.parse(key) as JSONValue);
    }
  } catch {
    throw new Error("InvalidCursor: this cursor was not made by this query");
  }
}

function parseJournal(journal: QueryJournal | undefined): string | undefined {
  if (typeof journal !== "string") return undefined;
  try {
    const parsed = JSON.parse(journal) as { endCursor?: unknown };
    return typeof parsed.endCursor === "string" ? parsed.endCursor : undefined;
  } catch {
    return undefined;
  }
}

function isConvexError(error: unknown): error is Error & { data: Value } {
  return typeof error === "object" && error !== null && Symbol.for("ConvexError") in error;
}

/**
 * Removes this machine's file paths from text a caller receives: the deployment's directory
 * becomes `../<name>` as in a deployment's stack traces; the project's and the home directory's
 * paths become relative.
 */
export class PathRedactor {
  private readonly replacements: [RegExp, string][];

  constructor(readonly sourceDir: string) {
    const roots: [string, string][] = [
      [sourceDir, `../${path.basename(sourceDir)}`],
      [path.dirname(sourceDir), ".."],
      [process.cwd(), "."],
      [homedir(), "~"],
    ];
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    this.replacements = roots
      .filter(([root]) => root.length > 1)
      .flatMap(([root, to]): [string, string][] => [
        [pathToFileURL(root).href, to],
        [root, to],
      ])
      .sort((a, b) => b[0].length - a[0].length)
      // Whole path segments only: `/home/al` must not eat into `/home/alice`.
      .map(([from, to]): [RegExp, string] => [new RegExp(`${escape(from)}(?![\\w.-])`, "g"), to]);
  }

  redact(text: string): string {
    let out = text;
    for (const [from, to] of this.replacements) out = out.replace(from, () => to);
    return out;
  }

  /** Whether a stack frame points into the deployment's own code (not this server, not node_modules). */
  ownFrame(line: string): boolean {
    return (
      (line.includes(this.sourceDir + path.sep) || line.includes(pathToFileURL(this.sourceDir).href + "/")) &&
      !line.includes("node_modules")
    );
  }
}

/**
 * A stack frame of the deployment's own code, named by its sources (pushed code through its source
 * maps), or null for a frame of this server, convex-test, node_modules or Node itself.
 */
function deploymentFrame(line: string, redactor: PathRedactor | undefined): string | null {
  const frame = mapStackLocations(line) ?? (redactor?.ownFrame(line) === true ? line : null);
  return frame === null || frame.includes("node_modules") || frame.includes("node:") ? null : frame;
}

/** A logged text (an error's stack, say) with only the deployment's own frames, as a deployment logs it. */
function withDeploymentFrames(text: string, redactor: PathRedactor | undefined): string {
  if (!text.includes("\n    at ")) return text;
  return text
    .split("\n")
    .map((line) => (/^\s+at /.test(line) ? deploymentFrame(line, redactor) : line))
    .filter((line): line is string => line !== null)
    .join("\n");
}

/**
 * The error as a Convex deployment reports it: `Uncaught Name: message` and the app's frames, or
 * the deployment's own message as it is (validation, limits) for the function the caller called.
 */
export function describeFailure(
  error: unknown,
  redactor?: PathRedactor,
): { errorMessage: string; errorData?: JSONValue } {
  if (error instanceof DeploymentError && error.depth === 1) {
    return { errorMessage: redactor === undefined ? error.message : redactor.redact(error.message) };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const frames = (e.stack ?? "")
    .split("\n")
    .filter((line) => line.startsWith("    at "))
    .map((line) => deploymentFrame(line, redactor))
    .filter((line): line is string => line !== null)
    .slice(0, 5);
  const text = [`Uncaught ${e.name}: ${e.message}`, ...frames].join("\n");
  const errorMessage = redactor === undefined ? text : redactor.redact(text);
  if (isConvexError(error)) return { errorMessage, errorData: convexToJson(error.data) };
  return { errorMessage };
}

/** Wraps a module's exports for convex-test (the limits' checks around each function). */
type ModuleWrapper = (modulePath: string, namespace: Record<string, unknown>, isNode: boolean) => unknown;

const modulePathOf = (file: string) => file.replace(/^\.\//, "").replace(/\.[^./]+$/, "");

class FunctionResolver {
  private readonly loaders = new Map<string, () => Promise<unknown>>();
  private readonly wrapped = new Map<string, Promise<unknown>>();
  private readonly known = new Map<string, Promise<FunctionInfo | null>>();
  private readonly nodeModules: ReadonlySet<string>;

  constructor(
    code: EngineCode | null,
    private readonly wrap: ModuleWrapper,
  ) {
    for (const [file, load] of Object.entries(memoize(code?.modules ?? {}))) {
      this.loaders.set(modulePathOf(file), load);
    }
    this.nodeModules = new Set((code?.nodeModules ?? []).map(modulePathOf));
  }

  get size(): number {
    return this.loaders.size;
  }

  /** The module at `modulePath` (`messages`) as convex-test runs it: its functions wrapped. */
  load(modulePath: string): Promise<unknown> {
    let wrapped = this.wrapped.get(modulePath);
    if (wrapped === undefined) {
      const load = this.loaders.get(modulePath);
      if (load === undefined) return Promise.reject(new Error(`Could not find module for: "${modulePath}"`));
      wrapped = load().then((namespace) =>
        this.wrap(modulePath, namespace as Record<string, unknown>, this.nodeModules.has(modulePath)),
      );
      this.wrapped.set(modulePath, wrapped);
    }
    return wrapped;
  }

  /** Whether `modulePath` (e.g. `http`) exists and exports `name`. */
  async exports(modulePath: string, name: string): Promise<boolean> {
    return (await this.exported(modulePath, name)) !== undefined;
  }

  /** The module's export `name`, or undefined when the module or the export does not exist. */
  async exported(modulePath: string, name: string): Promise<unknown> {
    const load = this.loaders.get(modulePath);
    return load === undefined ? undefined : ((await load()) as Record<string, unknown>)[name];
  }

  /** What `udfPath` names, or null when no Convex function is exported there. */
  resolve(udfPath: string): Promise<FunctionInfo | null> {
    let info = this.known.get(udfPath);
    if (info === undefined) {
      info = this.lookup(udfPath);
      this.known.set(udfPath, info);
    }
    return info;
  }

  private async lookup(udfPath: string): Promise<FunctionInfo | null> {
    const separator = udfPath.lastIndexOf(":");
    const load = this.loaders.get(udfPath.slice(0, separator));
    if (load === undefined) return null;
    const exported = ((await load()) as Record<string, unknown>)[udfPath.slice(separator + 1)] as
      Record<string, unknown> | undefined;
    if (exported === undefined || exported === null) return null;
    const kind: UdfKind | null = exported.isQuery
      ? "query"
      : exported.isMutation
        ? "mutation"
        : exported.isAction
          ? "action"
          : exported.isHttp
            ? "httpAction"
            : null;
    return kind === null ? null : { kind, isPublic: exported.isPublic === true };
  }
}

/** Memoizes module loaders: `import()` of an already-loaded module still pays the loader hooks. */
function memoize(modules: Modules): Modules {
  return Object.fromEntries(
    Object.entries(modules).map(([file, load]) => {
      let loaded: Promise<unknown> | undefined;
      return [file, () => (loaded ??= load())];
    }),
  );
}

/** The components of a version of the code, as the engine's internals take them. */
function componentCode(code: EngineCode | null, wrap: ModuleWrapper): ComponentCode[] {
  return (code?.components ?? []).map((component) => {
    // A component's functions run within the same limits as the app's.
    const resolver = new FunctionResolver({ modules: component.modules, schema: component.schema }, wrap);
    return { path: component.path, load: (modulePath) => resolver.load(modulePath), schema: component.schema };
  });
}

export type EngineOptions = {
  /** The code to start with; null starts with no functions (until a push). */
  code: EngineCode | null;
  /** Print function logs and failures on the server console. */
  print: boolean;
  /** The server's root async context, for work started by hooks that fire inside a function. */
  scope: AsyncResource;
  /** The deployment's environment: functions run inside it. */
  deployment: DeploymentScope;
  /** Where executions are recorded for `npx convex logs`. */
  functionLog: FunctionLog;
  /** Where the deployment's code lives: error messages and log lines name it relatively, never by its path. */
  sourceDir?: string;
  /**
   * Resolves once every commit so far is on disk, or is undefined when they are already. Results
   * wait for it, so nothing is acknowledged or shown that a crash could take back. Default: at once.
   */
  durable?: () => Promise<void> | undefined;
};

/**
 * The deployment's system queries (`_system/…`, for admins only): the value, and the tables whose
 * writes change it; null when there is no such query.
 */
export type SystemQueries = (
  udfPath: string,
  args: Record<string, Value>,
) => { value: JSONValue; tables: string[] } | null;

/** convex-test finds the deployment's root by its `_generated` directory; pushed code has none. */
const GENERATED_MARKER: Modules = { "./_generated/api.js": () => Promise.resolve({}) };

const UDF_TYPES: Record<UdfKind, UdfTypeJson> = {
  query: "Query",
  mutation: "Mutation",
  action: "Action",
  httpAction: "HttpAction",
};

export class Engine {
  readonly internals: EngineInternals;
  private readonly limits: Limits;
  /** Each module convex-test loads runs inside the limits' checks. */
  private readonly wrapModule: ModuleWrapper = (modulePath, namespace, isNode) =>
    this.limits.wrapModule(modulePath, namespace, isNode);
  private readonly t: Test;
  private resolver: FunctionResolver;
  private readonly print: boolean;
  private redactor: PathRedactor | undefined;
  private readonly deployment: DeploymentScope;
  private readonly functionLog: FunctionLog;
  private readonly durable: () => Promise<void> | undefined;
  /** Bumped when the code changes: results computed with older code are not cached. */
  private codeGen = 0;
  /** Commits per table, for `_system/cli/queryTable`. */
  private readonly writesByTable = new Map<string, number>();
  private systemQueries: SystemQueries | null = null;
  private readonly accessors = new Map<string, Test>();
  /** The query run the caller is in: one store for both, as each store slows every promise. */
  private readonly queryRun = new AsyncLocalStorage<{ tracker: ReadTracker; journal: JournalState }>();
  private readonly cache = new Map<string, Cached[]>();
  private readonly cacheByTable = new Map<string, Set<Cached>>();
  private cacheSize = 0;
  /** Query executions by function, and answers from the cache, for tests and benchmarks. */
  readonly stats = { queryRuns: new Map<string, number>(), cacheHits: 0 };
  private readonly inflight = new Map<string, Promise<void>>();
  /** Resolves once identity reads are tracked; the server awaits it before serving. */
  readonly ready: Promise<void>;
  private readonly commitLog: { gen: number; tables: ReadonlySet<string> }[] = [];
  private readonly commitListeners: ((tables: ReadonlySet<string>) => void)[] = [];
  private commitGen = 0;

  constructor(options: EngineOptions) {
    const modules = memoize(options.code?.modules ?? {});
    this.print = options.print;
    this.deployment = options.deployment;
    this.functionLog = options.functionLog;
    this.durable = options.durable ?? (() => undefined);
    this.redactor = options.sourceDir === undefined ? undefined : new PathRedactor(options.sourceDir);
    this.resolver = new FunctionResolver(options.code, this.wrapModule);
    const schema = options.code?.schema ?? null;
    this.t = convexTest({
      ...(schema !== null && { schema: schema as never }),
      modules: { ...GENERATED_MARKER, ...modules },
    }) as unknown as Test;
    this.internals = attachInternals(this.t);
    this.limits = new Limits(this.internals);
    this.internals.replaceCode((modulePath) => this.resolver.load(modulePath), schema);
    this.internals.setComponents(componentCode(options.code, this.wrapModule));
    this.internals.onRead((table) => {
      const tracker = this.queryRun.getStore()?.tracker;
      if (tracker === undefined) return;
      tracker.tables.add(table);
      tracker.snapshotGen ??= this.commitGen;
    });
    this.internals.onCommit((tables) => {
      this.commitGen += 1;
      for (const table of tables) this.writesByTable.set(table, (this.writesByTable.get(table) ?? 0) + 1);
      this.commitLog.push({ gen: this.commitGen, tables });
      if (this.commitLog.length > COMMIT_LOG_LIMIT) this.commitLog.shift();
      for (const table of tables) {
        for (const entry of this.cacheByTable.get(table) ?? []) this.evict(entry);
      }
      // Listeners schedule work; it must not run inside the committing function's async context.
      options.scope.runInAsyncScope(() => {
        for (const listener of this.commitListeners) listener(tables);
      });
    });
    this.internals.interceptAsyncSyscall("1.0/queryPage", (jsonArgs, next) => this.queryPage(jsonArgs, next));
    this.internals.interceptSearch(textSearch);
    this.ready = this.internals.wrapIdentity((identity) => this.trackedIdentity(identity));
  }

  /** Inside a query run, the identity as a proxy that notes which fields the function reads. */
  private trackedIdentity(identity: UserIdentity | null): UserIdentity | null {
    const tracker = this.queryRun.getStore()?.tracker;
    if (tracker === undefined) return identity;
    tracker.identityAsked = true;
    if (identity === null) {
      tracker.identityNull = true;
      return null;
    }
    const note = (field: string | symbol) => {
      // `then` is Promise.resolve probing for a thenable, not the function reading a claim.
      if (typeof field === "string" && field !== "then") tracker.identityFields.add(field);
    };
    return new Proxy(identity, {
      get(target, field, receiver) {
        note(field);
        return Reflect.get(target, field, receiver) as unknown;
      },
      has(target, field) {
        note(field);
        return Reflect.has(target, field);
      },
      getOwnPropertyDescriptor(target, field) {
        note(field);
        return Reflect.getOwnPropertyDescriptor(target, field);
      },
      ownKeys(target) {
        tracker.allFields = true;
        return Reflect.ownKeys(target);
      },
    });
  }

  /**
   * Swaps in new code (and schema), keeping the data, between transactions: `check` runs first,
   * inside the swap's transaction, and may refuse it by throwing (the data no longer matches the
   * schema). Cached results of the old code are dropped; subscribers re-run on the server's refresh.
   */
  async replaceCode(code: EngineCode | null, options: { check?: () => void; sourceDir?: string } = {}): Promise<void> {
    const resolver = new FunctionResolver(code, this.wrapModule);
    await this.t.run(async () => {
      options.check?.();
      this.internals.replaceCode((modulePath) => resolver.load(modulePath), code?.schema ?? null);
      this.internals.setComponents(componentCode(code, this.wrapModule));
      this.resolver = resolver;
      if (options.sourceDir !== undefined) this.redactor = new PathRedactor(options.sourceDir);
      this.invalidateAll();
    });
  }

  /** Answers `_system/…` queries of admins. */
  setSystemQueries(handler: SystemQueries): void {
    this.systemQueries = handler;
  }

  /** How many commits wrote `table`. */
  tableWrites(table: string): number {
    return this.writesByTable.get(table) ?? 0;
  }

  /** Drops every cached query result (new code, or the deployment's environment changed). */
  invalidateAll(): void {
    this.codeGen += 1;
    this.cache.clear();
    this.cacheByTable.clear();
    this.cacheSize = 0;
  }

  /** Called after every commit that wrote, with the tables written. */
  onCommit(listener: (tables: ReadonlySet<string>) => void): void {
    this.commitListeners.push(listener);
  }

  /** What `udfPath` is, or null if nothing is exported there. */
  resolve(udfPath: string): Promise<FunctionInfo | null> {
    return this.resolver.resolve(canonicalizeUdfPath(udfPath));
  }

  /**
   * Runs a query for a caller, from the shared cache when an equal call (same function, arguments,
   * identity and journal) has not been invalidated by a commit since. Arguments are keyed by their
   * `convexToJson` form, which is one-to-one with the value; failures are never shared.
   */
  async query(call: {
    udfPath: string;
    args: Record<string, Value>;
    caller: Caller;
    journal?: QueryJournal;
    /** Internal functions are only reachable from other functions (and admins). */
    publicOnly: boolean;
    source?: CallSource;
  }): Promise<QueryResult> {
    const udfPath = canonicalizeUdfPath(call.udfPath);
    const baseKey = JSON.stringify([udfPath, argsKey(call.args), call.journal ?? null, call.publicOnly]);
    // After a commit every subscriber asks at once. Runs of the same call wait for the one in
    // flight and take its result when it holds for them, so each distinct reader runs it once.
    for (;;) {
      const hit = this.cache.get(baseKey)?.find((entry) => holdsFor(entry.identity, call.caller));
      if (hit !== undefined) {
        this.stats.cacheHits += 1;
        const written = this.durable();
        if (written !== undefined) await written;
        return hit.result;
      }
      const running = this.inflight.get(baseKey);
      if (running === undefined) break;
      await running;
    }
    let finished!: () => void;
    this.inflight.set(baseKey, new Promise<void>((resolve) => (finished = resolve)));
    let result: QueryResult;
    try {
      result = await this.runQuery(call, udfPath, baseKey);
    } finally {
      this.inflight.delete(baseKey);
      finished();
    }
    // It may have read a commit that is not on disk yet.
    const written = this.durable();
    if (written !== undefined) await written;
    return result;
  }

  private async runQuery(call: Parameters<Engine["query"]>[0], udfPath: string, baseKey: string): Promise<QueryResult> {
    if (udfPath.startsWith("_system/")) return this.runSystemQuery(call, udfPath, baseKey);
    const refusal = await this.refuse(udfPath, "query", call.publicOnly);
    if (refusal !== null) return { ...refusal, journal: null, fingerprint: JSON.stringify(refusal), stale: false };

    this.stats.queryRuns.set(udfPath, (this.stats.queryRuns.get(udfPath) ?? 0) + 1);
    const tracker: ReadTracker = {
      tables: new Set(),
      snapshotGen: undefined,
      identityAsked: false,
      identityNull: false,
      identityFields: new Set(),
      allFields: false,
    };
    const journal: JournalState = { endCursor: parseJournal(call.journal), recorded: undefined };
    const codeGen = this.codeGen;
    const outcome = await this.queryRun.run({ tracker, journal }, () =>
      this.invoke("query", udfPath, call, (test) => test.query(makeFunctionReference<"query">(udfPath), call.args)),
    );
    const journalOut = journal.recorded === undefined ? null : JSON.stringify({ endCursor: journal.recorded });
    const stale = this.changedSince(tracker);
    const result: QueryResult = {
      ...outcome,
      journal: journalOut,
      fingerprint: outcome.ok
        ? `ok${JSON.stringify(outcome.value)}${journalOut ?? ""}`
        : `error${JSON.stringify([outcome.errorMessage, outcome.errorData ?? null])}`,
      stale,
    };
    // As a deployment: failures are not cached, so one caller's error never reaches another.
    if (!stale && outcome.ok && codeGen === this.codeGen) this.store(baseKey, result, tracker, call.caller);
    return result;
  }

  private runSystemQuery(call: Parameters<Engine["query"]>[0], udfPath: string, baseKey: string): QueryResult {
    const answer = call.publicOnly ? null : (this.systemQueries?.(udfPath, call.args) ?? null);
    if (answer === null) {
      const refusal = {
        ok: false as const,
        errorMessage: `Could not find public function for '${udfPath}'.`,
        logLines: [],
      };
      return { ...refusal, journal: null, fingerprint: JSON.stringify(refusal), stale: false };
    }
    const result: QueryResult = {
      ok: true,
      value: answer.value,
      logLines: [],
      journal: null,
      fingerprint: `ok${JSON.stringify(answer.value)}`,
      stale: false,
    };
    const tracker: ReadTracker = {
      tables: new Set(answer.tables),
      snapshotGen: this.commitGen,
      identityAsked: false,
      identityNull: false,
      identityFields: new Set(),
      allFields: false,
    };
    this.store(baseKey, result, tracker, call.caller);
    return result;
  }

  /** Runs a mutation; `ts` is a timestamp at or after its commit. */
  async mutation(call: {
    udfPath: string;
    args: Record<string, Value>;
    caller: Caller;
    publicOnly: boolean;
    source?: CallSource;
  }): Promise<MutationResult> {
    const udfPath = canonicalizeUdfPath(call.udfPath);
    const refusal = await this.refuse(udfPath, "mutation", call.publicOnly);
    if (refusal !== null) return { ...refusal, ts: this.internals.currentTs() };
    const outcome = await this.invoke("mutation", udfPath, call, (test) =>
      test.mutation(makeFunctionReference<"mutation">(udfPath), call.args),
    );
    const written = this.durable();
    if (written !== undefined) await written;
    return { ...outcome, ts: this.internals.currentTs() };
  }

  async action(call: {
    udfPath: string;
    args: Record<string, Value>;
    caller: Caller;
    publicOnly: boolean;
    source?: CallSource;
  }): Promise<CallResult> {
    const udfPath = canonicalizeUdfPath(call.udfPath);
    const refusal = await this.refuse(udfPath, "action", call.publicOnly);
    if (refusal !== null) return refusal;
    const outcome = await this.invoke("action", udfPath, call, (test) =>
      test.action(makeFunctionReference<"action">(udfPath), call.args),
    );
    // Its result may tell of the mutations it ran.
    const written = this.durable();
    if (written !== undefined) await written;
    return outcome;
  }

  /** Routes a request to `convex/http.ts`; 404 when there is no router or no route. */
  async fetch(pathAndQuery: string, init: RequestInit, caller: Caller): Promise<Response> {
    const identifier = `${init.method ?? "GET"} ${pathAndQuery.split("?")[0]}`;
    const log = collector("httpAction", identifier, this.print);
    let hasRouter: boolean;
    try {
      hasRouter = await this.resolver.exports("http", "default");
    } catch (thrown) {
      // convex/http.ts threw while loading: every request gets its error.
      const { errorMessage } = describeFailure(thrown, this.redactor);
      printFunctionLine(log, errorMessage, "error");
      return new Response(errorMessage, { status: 500 });
    }
    if (!hasRouter) {
      return new Response("No HttpRouter: convex/http.ts does not exist or has no default export", { status: 404 });
    }
    const recorder = this.functionLog.begin({
      udfType: "HttpAction",
      identifier,
      caller: "HttpEndpoint",
      identityType: caller === null ? "Unknown" : "User",
    });
    log.onLine = (line) => recorder.progress(line);
    let error: string | null = null;
    try {
      const response = await this.deployment.run(() =>
        logStorage.run(log, () => this.accessor(caller).fetch(pathAndQuery, init)),
      );
      const written = this.durable();
      if (written !== undefined) await written;
      return response;
    } catch (thrown) {
      const { errorMessage } = describeFailure(thrown, this.redactor);
      error = errorMessage;
      printFunctionLine(log, errorMessage, "error");
      return new Response(errorMessage, { status: 500 });
    } finally {
      log.open = false;
      recorder.complete({ logLines: log.structured, error });
    }
  }

  /** The cron jobs `convex/crons.ts` registers (`Crons.crons`), or none (also when it throws while loading). */
  async cronJobs(): Promise<Record<string, unknown>> {
    const crons = (await this.resolver.exported("crons", "default").catch(() => undefined)) as
      { crons?: Record<string, unknown> } | undefined;
    return crons?.crons ?? {};
  }

  /** How many modules `convex/` has. */
  get moduleCount(): number {
    return this.resolver.size;
  }

  /** Runs `fn` inside a transaction of its own; `fn` may use `internals.tx`. */
  async transaction<T>(fn: () => T): Promise<T> {
    return await this.t.run(async () => fn());
  }

  /** Runs code of the deployment (module evaluation) in its environment. */
  inDeployment<T>(fn: () => T): T {
    return this.deployment.run(fn);
  }

  private async refuse(
    udfPath: string,
    kind: UdfKind,
    publicOnly: boolean,
  ): Promise<{ ok: false; errorMessage: string; errorData?: JSONValue; logLines: string[] } | null> {
    let info: FunctionInfo | null;
    try {
      info = await this.resolver.resolve(udfPath);
    } catch (error) {
      // The module threw while loading: as on a deployment, that is the called function's error.
      const failure = describeFailure(error, this.redactor);
      printFunctionLine(collector(kind, udfPath, this.print), failure.errorMessage, "error");
      return { ok: false, ...failure, logLines: [] };
    }
    if (info === null || (publicOnly && !info.isPublic)) {
      return {
        ok: false,
        errorMessage: `Could not find public function for '${udfPath}'.`,
        logLines: [],
      };
    }
    if (info.kind !== kind) {
      const name = (k: UdfKind) => k[0]!.toUpperCase() + k.slice(1);
      return {
        ok: false,
        errorMessage: `Trying to execute ${udfPath} as ${name(kind)}, but it is defined as ${name(info.kind)}.`,
        logLines: [],
      };
    }
    return null;
  }

  private async invoke(
    kind: UdfKind,
    udfPath: string,
    call: { caller: Caller; publicOnly: boolean; source?: CallSource },
    run: (test: Test) => Promise<unknown>,
  ): Promise<CallResult> {
    const log: LogCollector = collector(kind, udfPath, this.print);
    const recorder = this.functionLog.begin({
      udfType: UDF_TYPES[kind],
      identifier: udfPath,
      caller: call.source ?? (call.publicOnly ? "HttpApi" : "Admin"),
      identityType: !call.publicOnly ? "DeploymentAdmin" : call.caller === null ? "Unknown" : "User",
    });
    log.onLine = (line) => recorder.progress(line);
    let result: CallResult;
    try {
      const value = (await this.deployment.run(() =>
        logStorage.run(log, () => run(this.accessor(call.caller))),
      )) as Value;
      result = { ok: true, value: convexToJson(value), logLines: this.redactLines(log.lines) };
    } catch (error) {
      const failure = describeFailure(error, this.redactor);
      printFunctionLine(log, failure.errorMessage, "error");
      result = { ok: false, ...failure, logLines: this.redactLines(log.lines) };
    } finally {
      log.open = false;
    }
    recorder.complete({ logLines: log.structured, error: result.ok ? null : result.errorMessage });
    return result;
  }

  private redactLines(lines: string[]): string[] {
    const redactor = this.redactor;
    return lines.map((line) => {
      const text = withDeploymentFrames(line, redactor);
      return redactor === undefined ? text : redactor.redact(text);
    });
  }

  private accessor(caller: Caller): Test {
    if (caller === null) return this.t;
    let accessor = this.accessors.get(caller.key);
    if (accessor === undefined) {
      if (this.accessors.size >= 1000) this.accessors.delete(this.accessors.keys().next().value!);
      accessor = this.t.withIdentity(caller.identity);
      this.accessors.set(caller.key, accessor);
    }
    return accessor;
  }

  /**
   * Gapless pagination, as Convex's journals give it: a subscribed page keeps ending where its
   * first run ended (its journal's end cursor), so rows inserted before that point grow the page
   * instead of pushing rows into a gap before the next page.
   *
   * The end then comes from the client (its journal, or an `endCursor` argument), so it must not
   * let one page read without bound: past PAGE_GROWTH_LIMIT × numItems rows the page stops and comes
   * back `SplitRequired` with a `splitCursor`, and the real clients split it in two.
   */
  private async queryPage(jsonArgs: string, next: (jsonArgs: string) => Promise<string>): Promise<string> {
    const journal = this.queryRun.getStore()?.journal;
    const args = JSON.parse(jsonArgs) as {
      cursor: string | null;
      endCursor?: string | null;
      pageSize: unknown;
      maximumRowsRead?: number;
    };
    const { pageSize } = args;
    if (typeof pageSize !== "number" || !Number.isInteger(pageSize) || pageSize < 1) {
      throw new Error("NoDocumentsForPagination: Must request at least 1 document while paginating");
    }
    if (pageSize > MAX_PAGE_SIZE) throw new Error(`PageSizeTooLarge: Requested too many items: ${pageSize}`);
    checkCursor(args.cursor);
    const end = typeof args.endCursor === "string" ? args.endCursor : journal?.endCursor;
    let cap: number | undefined;
    if (end !== undefined) {
      checkCursor(end);
      args.endCursor = end;
      cap = PAGE_GROWTH_LIMIT * pageSize;
      // One row past the bound tells a page that outgrew it from one that fills it exactly.
      args.maximumRowsRead = Math.min(args.maximumRowsRead ?? Number.POSITIVE_INFINITY, cap + 1);
    }
    const result = JSON.parse(await next(JSON.stringify(args))) as {
      page: JSONValue[];
      continueCursor: string;
      isDone: boolean;
      splitCursor?: string | null;
      pageStatus?: string | null;
    };
    if (end !== undefined && cap !== undefined) {
      if (result.page.length > cap || (result.pageStatus === "SplitRequired" && result.continueCursor !== end)) {
        result.page = result.page.slice(0, cap);
        result.pageStatus = "SplitRequired";
      }
      // As a deployment: a page with an end ends there, whatever it read (convex-test also reports
      // isDone when the row at the end was deleted).
      result.continueCursor = end;
      result.isDone = end === END_CURSOR;
    }
    if (journal !== undefined) journal.recorded ??= result.continueCursor;
    return JSON.stringify(result);
  }

  /** Whether a commit after this run's reads wrote a table it read. */
  private changedSince(tracker: ReadTracker): boolean {
    if (tracker.snapshotGen === undefined || tracker.snapshotGen === this.commitGen) return false;
    const oldest = this.commitLog[0];
    if (oldest === undefined || oldest.gen > tracker.snapshotGen + 1) return true;
    return this.commitLog.some(
      (entry) => entry.gen > tracker.snapshotGen! && [...entry.tables].some((table) => tracker.tables.has(table)),
    );
  }

  private store(baseKey: string, result: QueryResult, tracker: ReadTracker, caller: Caller): void {
    const identity: IdentityDependence = !tracker.identityAsked
      ? { kind: "none" }
      : caller === null || tracker.identityNull
        ? { kind: "null" }
        : tracker.allFields
          ? { kind: "exact", key: caller.key }
          : {
              kind: "fields",
              fields: [...tracker.identityFields].map((field) => [
                field,
                fieldValue((caller.identity as Record<string, unknown>)[field]),
              ]),
            };
    if (this.cacheSize >= CACHE_LIMIT) {
      const oldest = this.cache.values().next().value?.[0];
      if (oldest !== undefined) this.evict(oldest);
    }
    const entry: Cached = { baseKey, result, tables: tracker.tables, identity };
    let entries = this.cache.get(baseKey);
    if (entries === undefined) this.cache.set(baseKey, (entries = []));
    entries.push(entry);
    this.cacheSize += 1;
    for (const table of tracker.tables) {
      let set = this.cacheByTable.get(table);
      if (set === undefined) this.cacheByTable.set(table, (set = new Set()));
      set.add(entry);
    }
  }

  private evict(entry: Cached): void {
    const entries = this.cache.get(entry.baseKey);
    const index = entries?.indexOf(entry) ?? -1;
    if (entries === undefined || index === -1) return;
    entries.splice(index, 1);
    if (entries.length === 0) this.cache.delete(entry.baseKey);
    this.cacheSize -= 1;
    for (const table of entry.tables) this.cacheByTable.get(table)?.delete(entry);
  }
}
