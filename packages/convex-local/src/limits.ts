/**
 * Convex's limits on what one function may do, enforced with a deployment's own error messages, so
 * that code a deployment refuses is refused here too (docs: "Limits", production/state/limits;
 * convex-backend: crates/common/src/knobs.rs, crates/value, crates/common/src/document.rs,
 * crates/database/src/{reads,writes}.rs, crates/isolate).
 *
 * Two hooks do the work:
 * - around convex-test's syscalls: what a transaction reads and writes is counted by convex-test
 *   itself (its `TransactionMetricsTracker`, which counts without enforcing); each database syscall
 *   compares the counts with the limits, and each write checks the value it writes (arrays, nesting,
 *   fields, document size). A write a deployment would refuse is taken back before the error is
 *   thrown, so code that catches the error cannot commit it.
 * - around each function's handler: arguments and the return value are checked against the
 *   function's validators in the deployment's words (`ArgumentValidationError`,
 *   `ReturnsValidationError`), the return value against the size and shape limits, and the time
 *   the function's own code ran against the timeouts. All of it happens before convex-test commits
 *   a mutation, so a mutation that fails any check writes nothing.
 */
import { convexToJson, type JSONValue, type Value } from "convex/values";
import type { Doc, EngineInternals, StagedWrite, TransactionUsage } from "./convex-test-internals";
import {
  canonicalValidator,
  checkValue,
  formatValue,
  isFieldName,
  ValidationFailure,
  type ValidatorJson,
} from "./validators";

const MiB = 1 << 20;

/**
 * The limits, as a deployment sets them by default. Mutable only so that tests can lower the
 * action timeouts, which are too long to wait for.
 */
export const LIMITS = {
  /** crates/common/src/document.rs MAX_USER_SIZE. */
  documentSize: MiB,
  /** crates/common/src/document.rs MAX_DOCUMENT_NESTING. */
  documentNesting: 16,
  /** crates/value MAX_NESTING, MAX_ARRAY_LEN, MAX_OBJECT_FIELDS: any value, documents and arguments alike. */
  valueNesting: 64,
  arrayLength: 8192,
  objectFields: 1024,
  /** knobs.rs TRANSACTION_MAX_READ_SIZE_ROWS and TRANSACTION_MAX_READ_SIZE_BYTES, per query or mutation. */
  documentsRead: 32_000,
  bytesRead: 16 * MiB,
  /** knobs.rs TRANSACTION_MAX_NUM_USER_WRITES and TRANSACTION_MAX_USER_WRITE_SIZE_BYTES, per mutation. */
  documentsWritten: 16_000,
  bytesWritten: 16 * MiB,
  /** knobs.rs TRANSACTION_MAX_NUM_SCHEDULED and TRANSACTION_MAX_SCHEDULED_TOTAL_ARGUMENT_SIZE_BYTES. */
  functionsScheduled: 1000,
  scheduledArgsBytes: 16 * MiB,
  /** knobs.rs FUNCTION_MAX_ARGS_SIZE and FUNCTION_MAX_RESULT_SIZE. */
  argsSize: 16 * MiB,
  resultSize: 16 * MiB,
  /** knobs.rs DATABASE_UDF_USER_TIMEOUT: a query's or mutation's own code, database calls not counted. */
  userTimeoutMs: 1000,
  /** knobs.rs V8_ACTION_USER_TIMEOUT (Convex's runtime) and NODE_ACTION_USER_TIMEOUT (`"use node"`). */
  actionTimeoutMs: 30 * 60_000,
  nodeActionTimeoutMs: 10 * 60_000,
};

/** crates/database/src/reads.rs OVER_LIMIT_HELP. */
const OVER_LIMIT_HELP =
  "Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.";

/**
 * A failure a deployment reports in its own words, without `Uncaught` and stack frames
 * (`JsError::from_message`): argument and return value validation, timeouts, results too large.
 * `depth` is 1 for the function the caller called; a nested call's failure reaches its caller's
 * code as an ordinary error.
 */
export class DeploymentError extends Error {
  constructor(
    message: string,
    readonly depth: number,
  ) {
    super(message);
    this.name = "DeploymentError";
  }
}

/** A value a deployment cannot convert (crates/value): the message is the deployment's. */
class ValueError extends Error {}

/** A byte count as the backend prints it with humansize's BINARY format: `1 MiB`, `1.00 MiB`, `512 B`. */
export function formatBinarySize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(size) ? size.toFixed(0) : size.toFixed(2)} ${units[unit]}`;
}

/** A byte count as the backend's `common::fmt::format_bytes` prints it: `16 MiB`, `4.5 MiB`, `1534 bytes`. */
function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [2 ** 30, "GiB"],
    [1e9, "GB"],
    [2 ** 20, "MiB"],
    [1e6, "MB"],
    [2 ** 10, "KiB"],
    [1e3, "KB"],
  ];
  for (const [size, name] of units) {
    if (bytes < size) continue;
    if (bytes % size === 0) return `${bytes / size} ${name}`;
    if ((bytes * 10) % size === 0) return `${(bytes / size).toFixed(1)} ${name}`;
  }
  return `${bytes} bytes`;
}

/** A duration as Rust's `Debug` prints it: `1s`, `600s`, `200ms`. */
function formatDuration(ms: number): string {
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}

const timeoutMessage = (ms: number) => `Function execution timed out (maximum duration: ${formatDuration(ms)})`;

function isPlainJsonObject(json: JSONValue): json is Record<string, JSONValue> {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

/** `Buffer.byteLength(text)`, counted here for ASCII text: a call into Node for every string cost more. */
function utf8Length(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text);
  }
  return text.length;
}

/** What the walks below add up: one number, so that no object is made for each value walked. */
let walkedSize = 0;

/** The nesting of `json`, its size added to `walkedSize`; throws ValueError as `measureJson`. */
function walkJson(json: JSONValue): number {
  if (json === null || typeof json === "boolean") {
    walkedSize += 1;
    return 0;
  }
  if (typeof json === "number") {
    walkedSize += 9;
    return 0;
  }
  if (typeof json === "string") {
    walkedSize += 2 + utf8Length(json);
    return 0;
  }
  let nesting = 0;
  if (Array.isArray(json)) {
    if (json.length > LIMITS.arrayLength) {
      throw new ValueError(`Array length is too long (${json.length} > maximum length ${LIMITS.arrayLength})`);
    }
    walkedSize += 2;
    for (const item of json) {
      const inner = walkJson(item);
      if (inner > nesting) nesting = inner;
    }
  } else {
    const keys = Object.keys(json);
    // Field names never start with `$`: a single `$` key is an encoded int64, float, bytes or placeholder.
    if (keys.length === 1 && keys[0]!.startsWith("$")) {
      const encoded = json[keys[0]!];
      if (keys[0] === "$bytes" && typeof encoded === "string") {
        walkedSize += 2 + Math.floor((encoded.length * 3) / 4) - (encoded.match(/=+$/)?.[0].length ?? 0);
      } else {
        walkedSize += 9;
      }
      return 0;
    }
    if (keys.length > LIMITS.objectFields) {
      throw new ValueError(`Object has too many fields (${keys.length} > maximum number ${LIMITS.objectFields})`);
    }
    walkedSize += 2;
    for (const key of keys) {
      const inner = walkJson(json[key]!);
      walkedSize += utf8Length(key) + 1;
      if (inner > nesting) nesting = inner;
    }
  }
  nesting += 1;
  if (nesting > LIMITS.valueNesting) {
    throw new ValueError(
      `Value is too nested (nested ${nesting} levels deep > maximum nesting ${LIMITS.valueNesting})`,
    );
  }
  return nesting;
}

/**
 * The size (crates/value `Size`) and nesting of a value in its JSON form (`convexToJson`), checked
 * as a deployment converts it: arrays, objects and nesting within the limits. Throws ValueError.
 */
export function measureJson(json: JSONValue): { size: number; nesting: number } {
  walkedSize = 0;
  const nesting = walkJson(json);
  return { size: walkedSize, nesting };
}

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * As `walkJson` over `convexToJson(value)`, on the value itself: -1 for anything the conversion or
 * the limits would refuse, so that the caller takes that path and its messages.
 */
function walkValue(value: unknown): number {
  switch (typeof value) {
    case "boolean":
      walkedSize += 1;
      return 0;
    case "number":
      // A number's JSON is a number or, for NaN, ±Infinity and -0, a `$float` object: 9 either way.
      walkedSize += 9;
      return 0;
    case "string":
      walkedSize += 2 + utf8Length(value);
      return 0;
    case "bigint":
      if (value < MIN_INT64 || value > MAX_INT64) return -1;
      walkedSize += 9;
      return 0;
    case "object":
      break;
    default:
      return -1;
  }
  if (value === null) {
    walkedSize += 1;
    return 0;
  }
  if (value instanceof ArrayBuffer) {
    walkedSize += 2 + value.byteLength;
    return 0;
  }
  let nesting = 0;
  if (Array.isArray(value)) {
    if (value.length > LIMITS.arrayLength) return -1;
    walkedSize += 2;
    for (const item of value as unknown[]) {
      const inner = walkValue(item);
      if (inner < 0) return -1;
      if (inner > nesting) nesting = inner;
    }
  } else {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return -1;
    const object = value as Record<string, unknown>;
    let fields = 0;
    walkedSize += 2;
    for (const key of Object.keys(object)) {
      const item = object[key];
      // `convexToJson` leaves out fields set to undefined.
      if (item === undefined) continue;
      if (!isFieldName(key)) return -1;
      fields += 1;
      const inner = walkValue(item);
      if (inner < 0) return -1;
      walkedSize += key.length + 1;
      if (inner > nesting) nesting = inner;
    }
    if (fields > LIMITS.objectFields) return -1;
  }
  nesting += 1;
  return nesting > LIMITS.valueNesting ? -1 : nesting;
}

/**
 * `measureJson(convexToJson(value))`, without building the JSON (a query's page of documents is
 * otherwise copied once more only to be measured); throws as the two would.
 */
function measureValue(value: Value): { size: number; nesting: number } {
  walkedSize = 0;
  const nesting = walkValue(value);
  return nesting < 0 ? measureJson(convexToJson(value)) : { size: walkedSize, nesting };
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What a deployment's document validation finds wrong with a written body (crates/common/src/document.rs). */
function documentViolations(body: Record<string, JSONValue>, nesting: number): string[] {
  const violations: string[] = [];
  if (nesting > LIMITS.documentNesting) {
    violations.push(
      `Document is too nested (nested ${nesting} levels deep > maximum nesting ${LIMITS.documentNesting})`,
    );
  }
  // Sorted only when there is one to name: every write comes through here.
  const reserved = Object.keys(body).filter(
    (field) => field.startsWith("_") && field !== "_id" && field !== "_creationTime",
  );
  for (const field of reserved.sort(byCodePoint)) {
    violations.push(`Field '${field}' starts with an underscore, which is only allowed for system fields like '_id'`);
  }
  return violations;
}

/** The thread's CPU time in milliseconds: unlike the clock, it does not run while the OS runs other work. */
const cpuMs: () => number =
  typeof process.threadCpuUsage === "function"
    ? () => {
        const usage = process.threadCpuUsage();
        return (usage.user + usage.system) / 1000;
      }
    : () => {
        const usage = process.cpuUsage();
        return (usage.user + usage.system) / 1000;
      };

/**
 * How old a reading of the CPU time may be and still stand for a run's start: the start is then
 * the reading plus the clock since, which CPU time on one thread cannot outrun, so a run may get
 * this much more than its time and never less. A reading at every run's start (a system call)
 * cost more than a short query's own checks.
 */
const CPU_READING_MAX_AGE_MS = 5;

type Kind = "query" | "mutation" | "action";

/** One run of a function's handler. */
type Frame = {
  kind: Kind;
  depth: number;
  parent: Frame | undefined;
  /**
   * Where the run's CPU time (see `Limits.cpuAt`; 0 for an action, whose deadline is a timer), the
   * clock and the time spent outside its code stood when it started.
   */
  cpuStart: number;
  wallStart: number;
  pausedStart: number;
  /** An action past its deadline (`timeoutMs`): its further syscalls fail. */
  expired: boolean;
  timeoutMs: number;
  done: boolean;
};

type Validators = { args: ValidatorJson | null; returns: ValidatorJson | null };
type RegisteredFunction = {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  exportArgs(): string;
  exportReturns(): string;
  _handler: (ctx: unknown, args: Record<string, Value>) => unknown;
};

function isRegisteredFunction(value: unknown): value is RegisteredFunction {
  if ((typeof value !== "function" && typeof value !== "object") || value === null) return false;
  const candidate = value as Partial<RegisteredFunction>;
  return (
    (candidate.isQuery === true || candidate.isMutation === true || candidate.isAction === true) &&
    typeof candidate._handler === "function" &&
    typeof candidate.exportArgs === "function" &&
    typeof candidate.exportReturns === "function"
  );
}

/**
 * The limits of one engine: installs the syscall hooks on its convex-test instance and wraps the
 * functions of each module it loads.
 */
export class Limits {
  /** The frame of each run, by convex-test's context of that run. */
  private readonly frames = new WeakMap<object, Frame>();
  /**
   * Time spent outside functions' own code since start (by the clock): syscalls (convex-test's
   * database work and this module's checks) and nested calls of a query or mutation, which a
   * deployment also leaves out of the caller's time (its timer pauses during syscalls).
   *
   * The clock is read at every syscall, the thread's CPU time only now and then at a run's start
   * (see CPU_READING_MAX_AGE_MS) and when the clock says the run may be past its time: on one
   * thread CPU time never runs ahead of the clock, so the clock rules a run out cheaply, and the
   * CPU time (which a busy machine does not stretch) decides. Reading the CPU time at every
   * syscall cost more than the syscalls themselves.
   */
  private paused = 0;
  /** The latest reading of the CPU time, and the clock just before it. */
  private cpuReading = { wall: Number.NEGATIVE_INFINITY, cpu: 0 };

  constructor(private readonly internals: EngineInternals) {
    internals.aroundSyscalls((_op, run) => {
      const start = performance.now();
      this.checkAlive(start);
      try {
        return run();
      } finally {
        this.paused += performance.now() - start;
      }
    });
    for (const op of ["1.0/get", "1.0/queryStreamNext", "1.0/queryPage"]) {
      internals.interceptAsyncSyscall(op, (jsonArgs, next) => this.afterReads(next(jsonArgs)));
    }
    internals.interceptAsyncSyscall("1.0/insert", (jsonArgs, next) => this.write("db.insert", jsonArgs, next));
    internals.interceptAsyncSyscall("1.0/shallowMerge", (jsonArgs, next) => this.write("db.patch", jsonArgs, next));
    internals.interceptAsyncSyscall("1.0/replace", (jsonArgs, next) => this.write("db.replace", jsonArgs, next));
    internals.interceptAsyncSyscall("1.0/remove", (jsonArgs, next) => {
      try {
        this.checkWriteCount(internals.transactionUsage());
      } catch (error) {
        return Promise.reject(error as Error);
      }
      return this.afterReads(next(jsonArgs));
    });
    internals.interceptAsyncSyscall("1.0/schedule", (jsonArgs, next) => {
      this.checkSchedule(jsonArgs);
      return next(jsonArgs);
    });
  }

  /**
   * The module's exports as convex-test is to run them: each Convex function's handler runs inside
   * the checks; convex-test's own validation is turned off (the checks replace it, in the
   * deployment's words). `isNode` tells a `"use node"` module (its actions' timeout is shorter).
   */
  wrapModule(modulePath: string, namespace: Record<string, unknown>, isNode: boolean): Record<string, unknown> {
    const wrapped: Record<string, unknown> = {};
    for (const [name, exported] of Object.entries(namespace)) {
      wrapped[name] = isRegisteredFunction(exported)
        ? this.wrapFunction(`${modulePath}.js:${name}`, exported, isNode)
        : exported;
    }
    return wrapped;
  }

  private wrapFunction(udfPath: string, func: RegisteredFunction, isNode: boolean): RegisteredFunction {
    const kind: Kind = func.isQuery === true ? "query" : func.isMutation === true ? "mutation" : "action";
    let validators: Validators | undefined;
    const handler = func._handler;
    return {
      ...func,
      exportArgs: () => JSON.stringify({ type: "any" }),
      exportReturns: () => "null",
      _handler: (ctx, args) => {
        validators ??= readValidators(func);
        return this.run(kind, udfPath, validators, isNode, args, () => handler(ctx, args));
      },
    };
  }

  private run(
    kind: Kind,
    udfPath: string,
    validators: Validators,
    isNode: boolean,
    args: Record<string, Value>,
    invoke: () => unknown,
  ): Promise<unknown> {
    const run = this.internals.currentRun();
    const own = run === undefined ? undefined : this.frames.get(run);
    // A handler called straight from another's code (not through `ctx.run*`) runs in that one's context.
    const direct = own !== undefined && !own.done;
    const caller = run === undefined || direct ? undefined : this.internals.callerOf(run);
    const outer = direct ? own : caller === undefined ? undefined : this.frames.get(caller);
    // A scheduled function's timer keeps the context of the mutation that scheduled it, long done.
    const parent = outer === undefined || outer.done ? undefined : outer;
    const wallStart = performance.now();
    const frame: Frame = {
      kind,
      depth: (parent?.depth ?? 0) + 1,
      parent,
      cpuStart: kind === "action" ? 0 : this.cpuAt(wallStart),
      wallStart,
      pausedStart: this.paused,
      expired: false,
      timeoutMs:
        kind === "action" ? (isNode ? LIMITS.nodeActionTimeoutMs : LIMITS.actionTimeoutMs) : LIMITS.userTimeoutMs,
      done: false,
    };
    if (run !== undefined) this.frames.set(run, frame);
    return (async () => {
      try {
        this.checkArgs(udfPath, frame, args);
        if (validators.args !== null) {
          try {
            checkValue(validators.args, args);
          } catch (error) {
            if (!(error instanceof ValidationFailure)) throw error;
            throw new DeploymentError(`ArgumentValidationError: ${error.message}`, frame.depth);
          }
        }
        const value = kind === "action" ? await this.withDeadline(frame, invoke) : await invoke();
        const timeout = this.timedOut(frame);
        if (timeout !== null) throw timeout;
        this.checkResult(udfPath, frame, validators.returns, value as Value | undefined);
        return value;
      } catch (error) {
        // A deployment stops a function at its timeout, whatever its code would have done next.
        const failure = this.timedOut(frame) ?? error;
        // A nested call's failure reaches its caller's code as a plain error, as from a syscall.
        if (failure instanceof DeploymentError && frame.depth > 1) throw new Error(failure.message);
        throw failure;
      } finally {
        frame.done = true;
        if (direct && run !== undefined) this.frames.set(run, own);
        // The caller's time leaves out a nested query's or mutation's own time, as a syscall's.
        if (kind !== "action" && parent !== undefined && parent.kind !== "action") {
          this.paused += this.ownWallMs(frame, performance.now());
        }
      }
    })();
  }

  /** The CPU time at `wall` (now), or at most CPU_READING_MAX_AGE_MS more than it: never less. */
  private cpuAt(wall: number): number {
    const reading = this.cpuReading;
    if (wall - reading.wall <= CPU_READING_MAX_AGE_MS) return reading.cpu + (wall - reading.wall);
    this.cpuReading = { wall, cpu: cpuMs() };
    return this.cpuReading.cpu;
  }

  /** The run's own time by the clock (at least its own CPU time). */
  private ownWallMs(frame: Frame, now: number): number {
    return now - frame.wallStart - (this.paused - frame.pausedStart);
  }

  /** Whether the run's own code has taken more than its time: by the clock first, then by CPU time. */
  private overTime(frame: Frame, now: number): boolean {
    if (this.ownWallMs(frame, now) <= frame.timeoutMs) return false;
    return cpuMs() - frame.cpuStart - (this.paused - frame.pausedStart) > frame.timeoutMs;
  }

  /** The failure of a query or mutation whose own code has run past the timeout, or null. */
  private timedOut(frame: Frame): DeploymentError | null {
    if (frame.kind === "action" || !this.overTime(frame, performance.now())) return null;
    return new DeploymentError(timeoutMessage(frame.timeoutMs), frame.depth);
  }

  /** At each syscall: a query or mutation past its time, or an action past its deadline, goes no further. */
  private checkAlive(now: number): void {
    const run = this.internals.currentRun();
    const frame = run === undefined ? undefined : this.frames.get(run);
    if (frame === undefined || frame.done) return;
    if (frame.kind !== "action" && this.overTime(frame, now)) {
      throw new Error(timeoutMessage(frame.timeoutMs));
    }
    for (let current: Frame | undefined = frame; current !== undefined; current = current.parent) {
      if (current.expired) throw new Error(timeoutMessage(current.timeoutMs));
    }
  }

  private async withDeadline(frame: Frame, invoke: () => unknown): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        frame.expired = true;
        reject(new DeploymentError(timeoutMessage(frame.timeoutMs), frame.depth));
      }, frame.timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([Promise.resolve().then(invoke), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The arguments, as a deployment reads them before running anything (crates/udf/src/helpers.rs). */
  private checkArgs(udfPath: string, frame: Frame, args: Record<string, Value>): void {
    let size: number;
    try {
      // They travel as the array `[args]`.
      size = 2 + measureValue(args).size;
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      throw new DeploymentError(`Invalid arguments for ${udfPath}: ${error.message}`, frame.depth);
    }
    if (size > LIMITS.argsSize) {
      throw new DeploymentError(
        `Arguments for ${udfPath} are too large (actual: ${formatBinarySize(size)}, limit: ${formatBinarySize(LIMITS.argsSize)})`,
        frame.depth,
      );
    }
  }

  /** The return value, checked as a deployment reads it back (crates/isolate helpers.rs), then its validator. */
  private checkResult(udfPath: string, frame: Frame, returns: ValidatorJson | null, value: Value | undefined): void {
    const result = value === undefined ? null : value;
    let size: number;
    try {
      size = measureValue(result).size;
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      throw new DeploymentError(`Function ${udfPath} return value invalid: ${error.message}`, frame.depth);
    }
    if (size > LIMITS.resultSize) {
      throw new DeploymentError(
        `Function ${udfPath} return value is too large (actual: ${formatBinarySize(size)}, limit: ${formatBinarySize(LIMITS.resultSize)})`,
        frame.depth,
      );
    }
    if (returns === null) return;
    try {
      checkValue(returns, result);
    } catch (error) {
      if (!(error instanceof ValidationFailure)) throw error;
      throw new DeploymentError(`ReturnsValidationError: ${error.message}`, frame.depth);
    }
  }

  /**
   * A database call's result, checked against the read limits once it is done. convex-test's
   * database calls do their work before they return, so the counters are read at once and a
   * promise is added only when they are over (every read of every function comes through here).
   */
  private afterReads(result: Promise<string>): Promise<string> {
    if (!this.readsOver(this.internals.transactionUsage())) return result;
    return result.then((value) => {
      this.checkReads(this.internals.transactionUsage());
      return value;
    });
  }

  private readsOver(usage: Readonly<TransactionUsage> | null): boolean {
    return usage !== null && (usage.documentsRead > LIMITS.documentsRead || usage.bytesRead > LIMITS.bytesRead);
  }

  private checkReads(usage: Readonly<TransactionUsage> | null): void {
    if (usage === null) return;
    if (usage.documentsRead > LIMITS.documentsRead) {
      throw new Error(
        `Too many documents read in a single function execution (limit: ${LIMITS.documentsRead}). ${OVER_LIMIT_HELP}`,
      );
    }
    if (usage.bytesRead > LIMITS.bytesRead) {
      throw new Error(
        `Too many bytes read in a single function execution (limit: ${LIMITS.bytesRead} bytes). ${OVER_LIMIT_HELP}`,
      );
    }
  }

  private checkWriteCount(usage: Readonly<TransactionUsage> | null): void {
    if (usage !== null && usage.documentsWritten + 1 > LIMITS.documentsWritten) {
      throw new Error(`Too many writes in a single function execution (limit: ${LIMITS.documentsWritten})`);
    }
  }

  /**
   * `db.insert`, `db.patch`, `db.replace`: the value is checked before it is written, the document
   * it makes after; a document a deployment would refuse is taken back before the error is thrown.
   */
  private write(name: string, jsonArgs: string, next: (jsonArgs: string) => Promise<string>): Promise<string> {
    try {
      return this.checkedWrite(name, jsonArgs, next);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private checkedWrite(name: string, jsonArgs: string, next: (jsonArgs: string) => Promise<string>): Promise<string> {
    const before = this.internals.transactionUsage();
    this.checkWriteCount(before);
    // The counters are live: what they say now, before the write moves them.
    const bytesBefore = before?.bytesWritten;
    const args = JSON.parse(jsonArgs) as { id?: string; value: JSONValue };
    let nesting: number;
    try {
      nesting = measureJson(args.value).nesting;
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      throw new Error(`Invalid argument \`value\` for \`${name}\`: ${error.message}`);
    }
    const violations = isPlainJsonObject(args.value) ? documentViolations(args.value, nesting) : [];
    const staged: StagedWrite = args.id === undefined ? { present: false } : this.internals.stagedWrite(args.id);
    const pending = next(jsonArgs);
    // convex-test has written by now: a write that passes every check adds no promise of its own.
    const after = this.internals.transactionUsage();
    if (
      violations.length === 0 &&
      (bytesBefore === undefined ||
        after === null ||
        (after.bytesWritten - bytesBefore <= LIMITS.documentSize &&
          after.bytesWritten <= LIMITS.bytesWritten &&
          !this.readsOver(after)))
    ) {
      return pending;
    }
    return pending.then((result) => this.refuseWrite(args.id, result, staged, violations, bytesBefore));
  }

  /** After a write that broke a limit: takes it back and throws, with the first failure's message. */
  private refuseWrite(
    writtenId: string | undefined,
    result: string,
    staged: StagedWrite,
    violations: string[],
    bytesBefore: number | undefined,
  ): string {
    const id = writtenId ?? (JSON.parse(result) as { _id: string })._id;
    const refuse = (message: string): never => {
      this.internals.restoreStagedWrite(id, staged);
      throw new Error(message);
    };
    if (violations.length > 0) {
      const written = this.internals.stagedWrite(id);
      const document = written.present ? (written.value as Doc) : {};
      refuse(`Document(value: ${formatValue(document)}) isn't a valid document: ${violations.join("\n ")}`);
    }
    const after = this.internals.transactionUsage();
    if (bytesBefore !== undefined && after !== null) {
      // convex-test adds the size of the document as written (`getConvexSize`, as the backend's `size()`).
      const size = after.bytesWritten - bytesBefore;
      if (size > LIMITS.documentSize) {
        refuse(
          `Value is too large (${formatBinarySize(size)} > maximum size ${formatBinarySize(LIMITS.documentSize)})`,
        );
      }
      if (after.bytesWritten > LIMITS.bytesWritten) {
        refuse(`Too many bytes written in a single function execution (limit: ${formatBytes(LIMITS.bytesWritten)})`);
      }
      this.checkReads(after);
    }
    return result;
  }

  /** crates/model/src/scheduled_jobs: checked before the job is written. */
  private checkSchedule(jsonArgs: string): void {
    const usage = this.internals.transactionUsage();
    if (usage === null) return;
    if (usage.functionsScheduled >= LIMITS.functionsScheduled) {
      throw new Error(`Too many functions scheduled by this mutation (limit: ${LIMITS.functionsScheduled})`);
    }
    const { args } = JSON.parse(jsonArgs) as { args: JSONValue };
    // The job's arguments are the array `[args]`.
    const size = 2 + measureJson(args).size;
    if (usage.scheduledFunctionArgsBytes + size > LIMITS.scheduledArgsBytes) {
      throw new Error(
        `Too large total size of the arguments of scheduled functions from this mutation (limit: ${LIMITS.scheduledArgsBytes} bytes)`,
      );
    }
  }
}

function readValidators(func: RegisteredFunction): Validators {
  const args = canonicalValidator(JSON.parse(func.exportArgs()));
  const returns: unknown = JSON.parse(func.exportReturns());
  return {
    args: args.type === "any" ? null : args,
    returns: returns === null ? null : canonicalValidator(returns),
  };
}
