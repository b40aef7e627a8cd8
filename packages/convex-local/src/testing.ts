/**
 * Helpers for tests that drive a local backend with the `convex` package's real clients over `ws`:
 * for this package's own tests and for a project testing its functions on the local backend.
 */
import { ConvexClient } from "convex/browser";
import WebSocket from "ws";

/** A client logger that keeps the lines (function logs, auth failures) for assertions. */
export function recordingLogger() {
  const lines: string[] = [];
  const record = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  return { lines, logger: { log: record, warn: record, error: record, logVerbose: () => {} } };
}

/** A `ConvexClient` as a Node app would use it; `token` is fetched again on every request for one. */
export function simpleClient(
  url: string,
  token?: (forceRefresh: boolean) => Promise<string | null>,
  onAuthChange?: (authenticated: boolean) => void,
) {
  const { lines, logger } = recordingLogger();
  const client = new ConvexClient(url, {
    webSocketConstructor: WebSocket as never,
    logger,
    unsavedChangesWarning: false,
  });
  if (token) client.setAuth(({ forceRefreshToken }) => token(forceRefreshToken), onAuthChange);
  return { client, logs: lines };
}

/** Polls `check` until it returns something other than undefined/false. */
export async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Records every value a subscription delivers. */
export function watch<T>(subscribe: (onValue: (value: T) => void, onError: (error: Error) => void) => () => void) {
  const values: T[] = [];
  const errors: Error[] = [];
  const unsubscribe = subscribe(
    (value) => values.push(value),
    (error) => errors.push(error),
  );
  return {
    values,
    errors,
    unsubscribe,
    latest: () => values[values.length - 1],
    /** Resolves with the first value (from now on, or already seen) that satisfies `test`. */
    until: (test: (value: T) => boolean, what: string, timeoutMs?: number) =>
      eventually(() => values.find(test), what, timeoutMs),
  };
}
