// @vitest-environment node
/**
 * Components of a functions directory loaded from disk (`convexDir`, no push): the rate limiter
 * (which uses batch-worker) and migrations from npm, and a component of the directory, which uses
 * another of its own, twice. As when pushed (components.test.ts), each instance runs on tables of
 * its own and is reached only through the app's functions.
 */
import path from "node:path";
import { anyApi } from "convex/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineConvex, type OfflineConvexServer } from "../src";
import { httpClient, tempDir } from "./support";

const DIR = path.join(import.meta.dirname, "directory-components");
const demo = anyApi.demo!;

let data: ReturnType<typeof tempDir>;
let server: OfflineConvexServer;

const start = () =>
  startOfflineConvex({ convexDir: DIR, dataDir: path.join(data.dir, "backend"), port: 0, sitePort: 0, quiet: true });

beforeAll(async () => {
  data = tempDir("convex-local-directory-components-");
  server = await start();
});

afterAll(async () => {
  await server?.close();
  data?.remove();
});

describe("components of a functions directory loaded from disk", () => {
  it("runs components from npm, with the component one uses itself", async () => {
    const client = httpClient(server.url);
    for (let i = 0; i < 3; i++) expect(await client.mutation(demo.send!, { key: "a" })).toEqual({ ok: true });
    expect(await client.mutation(demo.send!, { key: "a" })).toEqual({ ok: false, retryAfter: expect.any(Number) });
    expect(await client.mutation(demo.send!, { key: "b" })).toEqual({ ok: true });
    expect(server.engine.internals.committedDocuments("rateLimiter/rateLimits")).toEqual([
      expect.objectContaining({ name: "send", key: "a" }),
      expect.objectContaining({ name: "send", key: "b" }),
    ]);
    expect(await client.query(demo.status!, { name: "backfill" })).toEqual([
      expect.objectContaining({ name: "backfill", isDone: false, processed: 0 }),
    ]);
  });

  it("runs each instance of the directory's own component on its own tables, apart from the app's", async () => {
    const client = httpClient(server.url);
    expect(await client.mutation(demo.bump!, { name: "a" })).toBe(1);
    expect(await client.mutation(demo.bump!, { name: "a" })).toBe(2);
    expect(await client.mutation(demo.visit!, { name: "a" })).toBe(10);
    expect(await client.query(demo.read!, { name: "a" })).toEqual({ counter: 2, visits: 10, appCounts: 0 });
    expect(server.engine.internals.committedDocuments("counter/counts")).toEqual([
      expect.objectContaining({ name: "a", value: 2 }),
    ]);
    expect(server.engine.internals.committedDocuments("visits/counts")).toEqual([
      expect.objectContaining({ name: "a", value: 10 }),
    ]);
    // Each instance's child is its own too.
    expect(server.engine.internals.committedDocuments("counter/tally/events")).toHaveLength(2);
    expect(server.engine.internals.committedDocuments("visits/tally/events")).toHaveLength(1);
  });

  it("does not serve a component's modules as the app's", async () => {
    const client = httpClient(server.url);
    await expect(client.mutation(anyApi["counter/lib"]!.add!, { name: "a", by: 5 })).rejects.toThrow(
      /Could not find public function for 'counter\/lib:add'/,
    );
  });

  it("keeps the components' data across a restart", async () => {
    await server.close();
    server = await start();
    const client = httpClient(server.url);
    expect(await client.query(demo.read!, { name: "a" })).toEqual({ counter: 2, visits: 10, appCounts: 0 });
    expect(await client.mutation(demo.bump!, { name: "a" })).toBe(3);
    expect(server.engine.internals.committedDocuments("counter/tally/events")).toHaveLength(3);
    expect((await client.mutation(demo.send!, { key: "a" })) as { ok: boolean }).toMatchObject({ ok: false });
  });
});
