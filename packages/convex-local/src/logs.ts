/**
 * Function logs: a `console.*` call inside a Convex function becomes one log line
 * (`[LOG] 'text' 42`, the form the Convex clients parse) for the caller, a structured line for
 * the deployment's function log (what `npx convex logs` and `npx convex dev` stream), and is
 * printed on the server's console with the function's name, as `npx convex dev` prints them.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { inspect } from "node:util";

export type LogLevel = "LOG" | "INFO" | "WARN" | "ERROR" | "DEBUG";

/** A log line as the deployment's log stream carries it (`LogLineJson`). */
export type StructuredLogLine = { messages: string[]; isTruncated: boolean; timestamp: number; level: LogLevel };

/** Collects one function execution's log lines. */
export type LogCollector = {
  /** `[CONVEX Q(tasks:list)]`, as the Convex CLI labels function logs. */
  label: string;
  /** For the caller: `[LOG] 'text'`. */
  lines: string[];
  /** For the function log. */
  structured: StructuredLogLine[];
  /** Closed once the result is sent; later lines (a scheduled timer's, say) are only printed. */
  open: boolean;
  print: boolean;
  /** Called with each line as it is logged (actions report their lines as they run). */
  onLine?: (line: StructuredLogLine) => void;
};

export type UdfKind = "query" | "mutation" | "action" | "httpAction";

const LEVELS = { log: "LOG", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG" } as const;
type Method = keyof typeof LEVELS;

export const logStorage = new AsyncLocalStorage<LogCollector>();

/** A collector for one execution of `udfPath`. */
export function collector(kind: UdfKind, udfPath: string, print: boolean): LogCollector {
  const prefix = { query: "Q", mutation: "M", action: "A", httpAction: "H" }[kind];
  return { label: `[CONVEX ${prefix}(${udfPath})]`, lines: [], structured: [], open: true, print };
}

function formatArg(arg: unknown): string {
  return inspect(arg, { depth: 4, breakLength: Infinity });
}

let installed: { original: Console; users: number } | null = null;

/**
 * Routes `console.*` calls made inside a collector's context to it; everything else goes to the
 * real console. Reference-counted so several servers in one process share it; returns the undo.
 */
export function installConsoleCapture(): () => void {
  if (installed === null) {
    const original = globalThis.console;
    const captured = (method: Method) => {
      const write = original[method].bind(original);
      return (...args: unknown[]) => {
        const current = logStorage.getStore();
        if (current === undefined) return write(...args);
        const messages = args.map(formatArg);
        const line: StructuredLogLine = { messages, isTruncated: false, timestamp: Date.now(), level: LEVELS[method] };
        const text = `[${LEVELS[method]}] ${messages.join(" ")}`;
        if (current.open) {
          current.lines.push(text);
          current.structured.push(line);
        }
        current.onLine?.(line);
        if (current.print) write(`${current.label} ${text}`);
      };
    };
    const overrides = new Map<PropertyKey, unknown>(
      (Object.keys(LEVELS) as Method[]).map((method) => [method, captured(method)]),
    );
    globalThis.console = new Proxy(original, {
      get: (target, property, receiver) =>
        overrides.has(property) ? overrides.get(property) : Reflect.get(target, property, receiver),
    });
    installed = { original, users: 0 };
  }
  installed.users += 1;
  let undone = false;
  return () => {
    if (undone || installed === null) return;
    undone = true;
    installed.users -= 1;
    if (installed.users === 0) {
      globalThis.console = installed.original;
      installed = null;
    }
  };
}

/** Prints a server-side line for a function (a failure, a scheduled run) unless the server is quiet. */
export function printFunctionLine(log: LogCollector, line: string, level: "log" | "error" = "log"): void {
  if (!log.print) return;
  const target = installed?.original ?? console;
  target[level](`${log.label} ${line}`);
}
