/**
 * The deployment's function log, as `GET /api/stream_function_logs` serves it to `npx convex logs`
 * and `npx convex dev` (convex-backend crates/application/src/function_log.rs, local_backend
 * logs.rs): every execution's completion, and for actions and HTTP actions their log lines as they
 * are written ("Progress"), in order, each with a cursor (milliseconds) that only grows. A client
 * asks for what came after its cursor and waits up to a minute for something new.
 */
import { randomUUID } from "node:crypto";
import type { StructuredLogLine } from "./logs";

export type UdfTypeJson = "Query" | "Mutation" | "Action" | "HttpAction";

const ZERO_USAGE = {
  databaseReadBytes: 0,
  databaseWriteBytes: 0,
  databaseIoReadBytes: 0,
  databaseIoWriteBytes: 0,
  databaseReadDocuments: 0,
  databaseWriteDocuments: 0,
  databaseWriteIndexRows: 0,
  storageReadBytes: 0,
  storageWriteBytes: 0,
  vectorIndexReadBytes: 0,
  vectorIndexWriteBytes: 0,
  textIndexQueryBytes: 0,
  textIndexWriteQueryBytes: 0,
  vectorIndexReadQueryBytes: 0,
  vectorIndexWriteQueryBytes: 0,
  networkEgressBytes: 0,
  memoryUsedMb: 0,
};

export type FunctionExecutionJson =
  | {
      kind: "Completion";
      udfType: UdfTypeJson;
      componentPath: null;
      identifier: string;
      logLines: StructuredLogLine[];
      timestamp: number;
      cachedResult: boolean;
      caller: string;
      parentExecutionId: null;
      executionTime: number;
      userExecutionTime: number;
      success: null;
      error: string | null;
      requestId: string;
      executionId: string;
      usageStats: typeof ZERO_USAGE;
      returnBytes: number | null;
      occInfo: null;
      willRetry: boolean;
      executionTimestamp: number;
      identityType: string;
      environment: string;
    }
  | {
      kind: "Progress";
      udfType: UdfTypeJson;
      componentPath: null;
      identifier: string;
      timestamp: number;
      logLines: StructuredLogLine[];
      requestId: string;
      executionId: string;
    };

/** How many entries are kept; older ones are dropped, as a deployment's in-memory log does. */
const LOG_CAPACITY = 10_000;
/** A long poll with nothing new answers after this long with the same cursor. */
export const LONG_POLL_MS = 60_000;

/** One execution as it is recorded; `progress` reports a line of an action while it runs. */
export type ExecutionRecorder = {
  progress(line: StructuredLogLine): void;
  complete(outcome: { logLines: StructuredLogLine[]; error: string | null; returnBytes?: number }): void;
};

export class FunctionLog {
  /** The kept entries are those from `first` on; the dropped ones before it go in batches. */
  private readonly entries: { cursor: number; entry: FunctionExecutionJson }[] = [];
  private first = 0;
  private readonly waiters = new Set<() => void>();
  private lastCursor = 0;
  private closed = false;

  /** Starts recording one execution. */
  begin(call: { udfType: UdfTypeJson; identifier: string; caller: string; identityType: string }): ExecutionRecorder {
    const started = Date.now();
    const requestId = randomUUID().replace(/-/g, "").slice(0, 16);
    const executionId = randomUUID();
    const streamsProgress = call.udfType === "Action" || call.udfType === "HttpAction";
    return {
      progress: (line) => {
        if (!streamsProgress) return;
        this.push({
          kind: "Progress",
          udfType: call.udfType,
          componentPath: null,
          identifier: call.identifier,
          timestamp: started / 1000,
          logLines: [line],
          requestId,
          executionId,
        });
      },
      complete: ({ logLines, error, returnBytes }) => {
        const elapsed = (Date.now() - started) / 1000;
        this.push({
          kind: "Completion",
          udfType: call.udfType,
          componentPath: null,
          identifier: call.identifier,
          // Log lines of actions went out as Progress entries already.
          logLines: streamsProgress ? [] : logLines,
          timestamp: started / 1000,
          cachedResult: false,
          caller: call.caller,
          parentExecutionId: null,
          executionTime: elapsed,
          userExecutionTime: elapsed,
          success: null,
          error,
          requestId,
          executionId,
          usageStats: ZERO_USAGE,
          returnBytes: returnBytes ?? null,
          occInfo: null,
          willRetry: false,
          executionTimestamp: started / 1000,
          identityType: call.identityType,
          environment: "isolate",
        });
      },
    };
  }

  /**
   * What came after `cursor`, and the cursor to ask with next. Waits up to `timeoutMs` for a new
   * entry when there is none (then answers with no entries and the same cursor), or until `signal`
   * aborts (the client went away).
   */
  async stream(
    cursor: number,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<{ entries: FunctionExecutionJson[]; newCursor: number }> {
    for (;;) {
      const first = this.entries.findIndex((item, index) => index >= this.first && item.cursor > cursor);
      if (first !== -1) {
        return { entries: this.entries.slice(first).map((item) => item.entry), newCursor: this.lastCursor };
      }
      if (options.signal?.aborted || this.closed) return { entries: [], newCursor: cursor };
      const arrived = await new Promise<boolean>((resolve) => {
        const wake = () => finish(true);
        const timer = setTimeout(() => finish(false), options.timeoutMs ?? LONG_POLL_MS);
        const onAbort = () => finish(false);
        const finish = (value: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          options.signal?.removeEventListener("abort", onAbort);
          resolve(value);
        };
        this.waiters.add(wake);
        options.signal?.addEventListener("abort", onAbort);
      });
      if (!arrived) return { entries: [], newCursor: cursor };
    }
  }

  /** The server is closing: every waiting long poll answers with what it has. */
  close(): void {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }

  private push(entry: FunctionExecutionJson): void {
    // Cursors are milliseconds and strictly increase, so a client never misses or repeats one.
    this.lastCursor = Math.max(Date.now(), this.lastCursor + 0.001);
    this.entries.push({ cursor: this.lastCursor, entry });
    if (this.entries.length - this.first > LOG_CAPACITY) this.first = this.entries.length - LOG_CAPACITY;
    // Moving every kept entry down at each execution cost more than the execution's own logging.
    if (this.first >= LOG_CAPACITY) {
      this.entries.splice(0, this.first);
      this.first = 0;
    }
    for (const wake of [...this.waiters]) wake();
  }
}
