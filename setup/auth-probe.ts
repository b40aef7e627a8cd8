/**
 * What the browser saw of the token exchange with Convex, kept so the app can say *why* Convex did
 * not accept a session: the last token the auth adapter handed over (or the error instead of one),
 * and Convex's own refusal message.
 *
 * Convex's client reports a refused token only as "not authenticated"; its reason reaches nothing
 * but the client's logger ("Failed to authenticate: "<reason>", check your server auth config").
 * So the app's ConvexReactClient gets `convexLogger` below, which logs exactly as the default one
 * does and also keeps that reason. One store per page, like the client it observes.
 */
import { ConvexReactClient } from "convex/react";
import { useSyncExternalStore } from "react";

export type ProbeSnapshot = {
  /** The last answer of the adapter's token fetcher: a token, or null with the error when it threw. */
  token: { value: string | null; error: string | null } | null;
  /** Convex's last refusal of a token, until a token is accepted again. */
  refusal: string | null;
};

let snapshot: ProbeSnapshot = { token: null, refusal: null };
const listeners = new Set<() => void>();

function update(next: Partial<ProbeSnapshot>): void {
  snapshot = { ...snapshot, ...next };
  for (const listener of listeners) listener();
}

/** An error's message, whatever was thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message);
  return String(error);
}

/**
 * Records what the adapter's token fetcher answered. A different token starts a new attempt, so a
 * refusal of the one before no longer applies (Convex logs its refusal after the last fetch).
 */
export function noteToken(value: string | null): void {
  const changed = value !== (snapshot.token?.value ?? null);
  update(changed ? { token: { value, error: null }, refusal: null } : { token: { value, error: null } });
}

/** Records that the adapter's token fetcher failed (e.g. Clerk has no `convex` JWT template). */
export function noteTokenError(error: unknown): void {
  update({ token: { value: null, error: messageOf(error) } });
}

/** Forgets Convex's last refusal; called once Convex accepts a token. */
export function clearRefusal(): void {
  if (snapshot.refusal !== null) update({ refusal: null });
}

// The client's two lines that carry the server's reason: the error when it gives up, and the
// verbose note when it retries (the only one written when the retry gets the same token back).
const GAVE_UP = /^Failed to authenticate: "([\s\S]*)", check your server auth config/;
const RETRYING = /^attempting to reauthenticate: ([\s\S]*?)(?: \[v\d+\])?$/;

/** Convex's reason from one of the client's log lines, or null when the line is about something else. */
export function refusalFromLogLine(args: readonly unknown[]): string | null {
  const [first] = args;
  if (typeof first !== "string") return null;
  return GAVE_UP.exec(first)?.[1] ?? RETRYING.exec(first)?.[1] ?? null;
}

/**
 * A logger for ConvexReactClient: the console, as by default (verbose lines dropped), plus the
 * refusal reason kept.
 */
export const convexLogger = {
  logVerbose: (...args: unknown[]) => {
    const refusal = refusalFromLogLine(args);
    if (refusal !== null) update({ refusal });
  },
  log: (...args: unknown[]) => console.log(...args),
  warn: (...args: unknown[]) => console.warn(...args),
  error: (...args: unknown[]) => {
    const refusal = refusalFromLogLine(args);
    if (refusal !== null) update({ refusal });
    console.error(...args);
  },
};

/** The app's Convex client (one per page), logging through `convexLogger`. */
export function createConvexClient(url: string): ConvexReactClient {
  return new ConvexReactClient(url, { logger: convexLogger });
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const SERVER_SNAPSHOT: ProbeSnapshot = { token: null, refusal: null };

export function useAuthProbe(): ProbeSnapshot {
  return useSyncExternalStore(
    subscribe,
    () => snapshot,
    () => SERVER_SNAPSHOT,
  );
}

/** Test seam: back to nothing observed. */
export function resetAuthProbe(): void {
  update({ token: null, refusal: null });
}
