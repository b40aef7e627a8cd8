/** Helpers for the package's tests: real clients from the `convex` package, over `ws`. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { ConvexReactClient } from "convex/react";
import WebSocket from "ws";
import { startOfflineConvex } from "../src";
import { eventually, recordingLogger } from "../src/testing";

export { eventually, recordingLogger, simpleClient, watch } from "../src/testing";
import { startTestIssuer, type TestIssuer } from "./issuer";

export const FIXTURE_DIR = path.join(import.meta.dirname, "fixture");

/** A fresh directory under the OS temp dir. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The client behind `ConvexProvider` (used here without React rendering). */
export function reactClient(url: string, token?: () => Promise<string | null>) {
  const { lines, logger } = recordingLogger();
  const client = new ConvexReactClient(url, {
    webSocketConstructor: WebSocket as never,
    logger,
    unsavedChangesWarning: false,
  });
  if (token) client.setAuth(token);
  return { client, logs: lines };
}

export function httpClient(url: string, token?: string): ConvexHttpClient {
  const client = new ConvexHttpClient(url, { logger: false });
  if (token) client.setAuth(token);
  return client;
}

/** The fixture project (test/fixture) on the local server, trusting a test issuer; `env` adds deployment variables. */
export async function startFixture(options: { env?: Record<string, string> } = {}) {
  const data = tempDir("convex-local-");
  const issuer: TestIssuer = await startTestIssuer();
  const launch = (ports: { port: number; sitePort: number }, overrides: { reset?: boolean } = {}) =>
    startOfflineConvex({
      convexDir: FIXTURE_DIR,
      dataDir: path.join(data.dir, "convex"),
      ...ports,
      quiet: true,
      env: { AUTH_ISSUER_DOMAIN: issuer.url, ...options.env },
      ...overrides,
    });
  const server = await launch({ port: 0, sitePort: 0 });
  const fixture = {
    issuer,
    /** The running server; tests that restart it put the new one here. */
    server,
    dataDir: data.dir,
    /** Starts another server on the same data and ports (after `server.close()`). */
    start: (overrides: { reset?: boolean } = {}) =>
      launch(
        { port: Number(new URL(fixture.server.url).port), sitePort: Number(new URL(fixture.server.siteUrl).port) },
        overrides,
      ),
    /** A new session of a known test user, and its token source. */
    signIn: (email: string) => issuer.signIn(email),
    close: async () => {
      await fixture.server.close();
      await issuer.close();
      data.remove();
    },
  };
  return fixture;
}

/** What the server sent on a raw sync connection, parsed. */
export type RawServerMessage = { type: string; [field: string]: unknown };

/**
 * A sync-protocol connection with no client library in front of it: what a hostile or broken
 * client can send. `next` waits for a message that satisfies `test`; `closed` resolves on close.
 */
export async function rawSync(url: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/api/1.48.0/sync`, { headers });
  const messages: RawServerMessage[] = [];
  let closeCode: number | undefined;
  const closed = new Promise<number>((resolve) =>
    socket.once("close", (code) => {
      closeCode = code;
      resolve(code);
    }),
  );
  socket.on("message", (data) => messages.push(JSON.parse(data.toString()) as RawServerMessage));
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  return {
    socket,
    messages,
    closed,
    isClosed: () => closeCode !== undefined,
    send: (message: unknown) => socket.send(typeof message === "string" ? message : JSON.stringify(message)),
    next: (test: (message: RawServerMessage) => boolean, what: string, timeoutMs?: number) =>
      eventually(() => messages.find(test), what, timeoutMs),
    close: () => socket.close(),
  };
}

/** The Connect message the real client sends first. */
export function connectMessage(overrides: Record<string, unknown> = {}) {
  return {
    type: "Connect",
    sessionId: "00000000-0000-4000-8000-000000000000",
    connectionCount: 0,
    lastCloseReason: null,
    clientTs: Date.now(),
    ...overrides,
  };
}
