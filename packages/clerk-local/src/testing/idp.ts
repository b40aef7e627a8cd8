/** Helpers for tests against the identity provider: a temporary data dir, a webhook receiver, JSON over HTTP. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Webhook } from "svix";

/** A fresh directory under the OS temp dir, and a way to remove it. */
export function tempDataDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "clerk-local-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One request the receiver got. */
export type Delivery = {
  svixId: string;
  svixTimestamp: string;
  svixSignature: string;
  body: string;
  /** The parsed body; tests read into it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  event: any;
  /** The status the receiver answered with. */
  status: number;
};

/** A webhook endpoint on 127.0.0.1 that records deliveries and answers `respond(delivery, n)` (default 200). */
export async function startReceiver(respond: (delivery: Omit<Delivery, "status">, n: number) => number = () => 200) {
  const deliveries: Delivery[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = (name: string) => String(req.headers[name] ?? "");
      const delivery = {
        svixId: header("svix-id"),
        svixTimestamp: header("svix-timestamp"),
        svixSignature: header("svix-signature"),
        body,
        event: JSON.parse(body) as unknown,
      };
      const status = respond(delivery, deliveries.length);
      deliveries.push({ ...delivery, status });
      res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "receiver says no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/clerk`;
  return {
    url,
    deliveries,
    /** Deliveries answered with a 2xx, in order. */
    accepted: () => deliveries.filter((d) => d.status < 300),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Verifies a delivery's svix signature with the svix package, as the backend does; throws if it fails. */
export function verifyDelivery(delivery: Delivery, secret: string): void {
  new Webhook(secret).verify(delivery.body, {
    "svix-id": delivery.svixId,
    "svix-timestamp": delivery.svixTimestamp,
    "svix-signature": delivery.svixSignature,
  });
}

/** Polls `check` every 10 ms until it is true; fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * JSON over HTTP against the identity provider. With the provider itself (`{ url, apiKey }`) the
 * request carries its API key, as the app's server side sends it; with a bare URL it carries none.
 */
export async function call(
  base: string | { url: string; apiKey: string },
  method: string,
  pathname: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; json: any; headers: Headers }> {
  const url = typeof base === "string" ? base : base.url;
  const key: Record<string, string> = typeof base === "string" ? {} : { authorization: `Bearer ${base.apiKey}` };
  const response = await fetch(url + pathname, {
    method,
    headers: body === undefined ? { ...key, ...headers } : { "content-type": "application/json", ...key, ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : null, headers: response.headers };
}
