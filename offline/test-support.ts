/**
 * Helpers for the app's offline-stack suites (offline/stack.test.ts, offline/api.test.ts): the whole
 * stack on free ports, forged tokens, and real clients from the `convex` package over `ws`. The local
 * Convex server itself, and its own tests, live in packages/convex-local.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConvexClient } from "convex/browser";
import { importJWK, SignJWT, type JWK, type JWTPayload } from "jose";
import WebSocket from "ws";
import { startOfflineStack, type OfflineStack } from "./stack";

/** A fresh directory under the OS temp dir. */
function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A `ConvexClient` as a Node app would use it; `token` is fetched again on every request for one. */
export function simpleClient(
  url: string,
  token?: (forceRefresh: boolean) => Promise<string | null>,
  onAuthChange?: (authenticated: boolean) => void,
) {
  const lines: string[] = [];
  const record = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  const client = new ConvexClient(url, {
    webSocketConstructor: WebSocket as never,
    logger: { log: record, warn: record, error: record, logVerbose: () => {} },
    unsavedChangesWarning: false,
  });
  if (token) client.setAuth(({ forceRefreshToken }) => token(forceRefreshToken), onAuthChange);
  return { client, logs: lines };
}

/** Polls `check` until it returns something other than undefined/false. */
async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
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

/** The whole offline stack on free ports with a temporary data directory; `close()` removes it. */
export async function startTestStack(prefix: string): Promise<OfflineStack & { dataDir: string }> {
  const data = tempDir(prefix);
  const stack = await startOfflineStack({
    dataDir: data.dir,
    convexPort: 0,
    sitePort: 0,
    idpPort: 0,
    quiet: true,
    webhookRetry: { delaysMs: [50] },
  });
  return {
    ...stack,
    dataDir: data.dir,
    close: async () => {
      await stack.close();
      data.remove();
    },
  };
}

/**
 * Signs `claims` with the key the identity provider in `idpDataDir` signs with (to forge variations).
 * Reads the provider's key file (a private JWK, `signing-key.json`) rather than its code, so the test
 * does not reach into the provider's modules.
 */
export async function signWithProviderKey(idpDataDir: string, claims: JWTPayload): Promise<string> {
  const jwk = JSON.parse(readFileSync(path.join(idpDataDir, "signing-key.json"), "utf8")) as JWK;
  const privateKey = await importJWK(jwk, "RS256");
  return await new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: jwk.kid, typ: "JWT" }).sign(privateKey);
}
