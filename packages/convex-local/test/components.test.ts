// @vitest-environment node
/**
 * Components pushed by the real Convex CLI: test/components-project uses a component of its own
 * (convex/counter: a schema, a mutation, a query) twice, as `counter` and `visits`, and has a table
 * named like the component's. As on a deployment (docs.convex.dev/components; the push path in
 * convex-backend crates/application/src/deploy_config.rs), the CLI generates typed `components`
 * from the push's analysis, each component instance keeps its own tables, and the app reaches a
 * component only through `ctx.runQuery/runMutation(components.<name>.…)`.
 */
import { cp, readFile, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { anyApi } from "convex/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineConvex, type OfflineConvexServer } from "../src";
import { runConvexCli } from "../src/testing";
import { httpClient, simpleClient, tempDir, watch, eventually } from "./support";

const PROJECT = path.join(import.meta.dirname, "components-project");
const NODE_MODULES = path.dirname(path.dirname(createRequire(import.meta.url).resolve("convex/package.json")));
const counters = {
  bump: anyApi.counters!.bump!,
  visit: anyApi.counters!.visit!,
  read: anyApi.counters!.read!,
  overdraw: anyApi.counters!.overdraw!,
};

let data: ReturnType<typeof tempDir>;
let dir: string;
let server: OfflineConvexServer;

const start = () => startOfflineConvex({ dataDir: path.join(data.dir, "backend"), port: 0, sitePort: 0, quiet: true });
const cli = (args: string[]) => runConvexCli(args, { cwd: dir, backend: server, timeoutMs: 120_000 });

beforeAll(async () => {
  data = tempDir("convex-local-components-");
  dir = path.join(data.dir, "project");
  await cp(PROJECT, dir, { recursive: true });
  await symlink(NODE_MODULES, path.join(dir, "node_modules"), "dir");
  server = await start();
});

afterAll(async () => {
  await server?.close();
  data?.remove();
});

describe("components pushed by the Convex CLI", { timeout: 180_000 }, () => {
  it("`convex dev --once` pushes the app with its components and type-checks against the generated `components`", async () => {
    const run = await cli(["dev", "--once", "--typecheck", "enable"]);
    expect(run.code, run.output).toBe(0);
    const appApi = await readFile(path.join(dir, "convex/_generated/api.d.ts"), "utf8");
    // One entry per instance, typed by the component's own generated API.
    expect(appApi).toMatch(/counter: import\("\.\.\/counter\/_generated\/component\.js"\)\.ComponentApi<"counter">/);
    expect(appApi).toMatch(/visits: import\("\.\.\/counter\/_generated\/component\.js"\)\.ComponentApi<"visits">/);
    const componentApi = await readFile(path.join(dir, "convex/counter/_generated/component.ts"), "utf8");
    // The component's exports, from its public functions and their validators.
    expect(componentApi).toContain("add: FunctionReference<");
    expect(componentApi).toContain('"mutation"');
    expect(componentApi).toContain("{ by: number; name: string }");
  });

  it("the app calls each component instance, whose tables are its own", async () => {
    const client = httpClient(server.url);
    expect(await client.mutation(counters.bump, { name: "a" })).toBe(1);
    expect(await client.mutation(counters.bump, { name: "a" })).toBe(2);
    expect(await client.mutation(counters.visit, { name: "a" })).toBe(10);
    expect(await client.query(counters.read, { name: "a" })).toEqual({
      counter: 2,
      visits: 10,
      events: 2,
      appCounts: 0,
    });
    // Each instance's rows are in its own database, apart from the app's table of the same name.
    expect(server.engine.internals.committedDocuments("counter/counts")).toEqual([
      expect.objectContaining({ name: "a", value: 2 }),
    ]);
    expect(server.engine.internals.committedDocuments("visits/counts")).toEqual([
      expect.objectContaining({ name: "a", value: 10 }),
    ]);
    expect(server.engine.internals.committedDocuments("counts")).toEqual([]);
  });

  it("a component's error reaches the app's caller, and its writes roll back with the app's", async () => {
    const client = httpClient(server.url);
    await expect(client.mutation(counters.overdraw, {})).rejects.toThrow(/counters only count up/);
    expect(server.engine.internals.committedDocuments("counter/counts")).toHaveLength(1);
  });

  it("clients cannot call a component's functions directly", async () => {
    const client = httpClient(server.url);
    await expect(client.mutation(anyApi.lib!.add!, { name: "a", by: 5 })).rejects.toThrow(
      /Could not find public function for 'lib:add'/,
    );
  });

  it("a live query over components is re-run when a component's table changes", async () => {
    const { client } = simpleClient(server.url);
    const seen = watch<{ counter: number; visits: number }>((onValue, onError) =>
      client.onUpdate(counters.read, { name: "live" }, onValue, onError),
    );
    await eventually(() => seen.values.length > 0, "the first result");
    expect(seen.values.at(-1)).toMatchObject({ counter: 0, visits: 0 });
    await client.mutation(counters.visit, { name: "live" });
    await eventually(() => seen.values.at(-1)?.visits === 10, "the component's write to reach the subscriber");
    seen.unsubscribe();
    await client.close();
  });

  it("components keep their data across a restart and a push of changed code", async () => {
    await server.close();
    server = await start();
    const client = httpClient(server.url);
    expect(await client.query(counters.read, { name: "a" })).toMatchObject({ counter: 2, visits: 10 });
    // A changed component module: the instances run the new code on the same data.
    const lib = path.join(dir, "convex/counter/lib.ts");
    await writeFile(
      lib,
      (await readFile(lib, "utf8")).replace("return row?.value ?? 0;", "return (row?.value ?? 0) * 100;"),
    );
    const run = await cli(["dev", "--once", "--typecheck", "disable"]);
    expect(run.code, run.output).toBe(0);
    expect(await client.query(counters.read, { name: "a" })).toMatchObject({ counter: 200, visits: 1000 });
  });

  it("a push that changes only the app keeps the components it took over working", async () => {
    const file = path.join(dir, "convex/counters.ts");
    await writeFile(
      file,
      `${await readFile(file, "utf8")}\nexport const version = query({ args: {}, handler: () => 2 });\n`,
    );
    const run = await cli(["dev", "--once", "--typecheck", "disable"]);
    expect(run.code, run.output).toBe(0);
    const client = httpClient(server.url);
    expect(await client.query(anyApi.counters!.version!, {})).toBe(2);
    expect(await client.query(counters.read, { name: "a" })).toMatchObject({ counter: 200, visits: 1000 });
    const failure = await client.mutation(counters.overdraw, {}).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failure).toContain("counters only count up");
    // Frames are mapped to the sources and named relatively, never by a path on this machine.
    expect(failure).toMatch(/convex\/counters\.ts:\d+:\d+/);
    expect(failure).not.toContain(data.dir);
  });

  it("a push whose component schema the stored data violates is refused, and the old code keeps serving", async () => {
    const schema = path.join(dir, "convex/counter/schema.ts");
    await writeFile(schema, (await readFile(schema, "utf8")).replace("value: v.number()", "value: v.string()"));
    const run = await cli(["dev", "--once", "--typecheck", "disable"]);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/does not match the schema/);
    const client = httpClient(server.url);
    expect(await client.query(counters.read, { name: "a" })).toMatchObject({ counter: 200, visits: 1000 });
  });
});

/**
 * Convex's own components from npm, as an app installs them (test/npm-components-project): the
 * rate limiter, the sharded counter, a work pool, migrations and presence, each called the way its
 * README shows (github.com/get-convex/<component>), on a backend of their own.
 */
describe("Convex's components from npm", { timeout: 180_000 }, () => {
  const NPM_PROJECT = path.join(import.meta.dirname, "npm-components-project");
  const demo = anyApi.demo!;
  let npmData: ReturnType<typeof tempDir>;
  let npmDir: string;
  let backend: OfflineConvexServer;

  beforeAll(async () => {
    npmData = tempDir("convex-local-npm-components-");
    npmDir = path.join(npmData.dir, "project");
    await cp(NPM_PROJECT, npmDir, { recursive: true });
    await symlink(NODE_MODULES, path.join(npmDir, "node_modules"), "dir");
    backend = await startOfflineConvex({
      dataDir: path.join(npmData.dir, "backend"),
      port: 0,
      sitePort: 0,
      quiet: true,
    });
  });

  afterAll(async () => {
    await backend?.close();
    npmData?.remove();
  });

  it("push with the CLI's type-check, then each works as its README says", async () => {
    const run = await runConvexCli(["dev", "--once", "--typecheck", "enable"], {
      cwd: npmDir,
      backend,
      timeoutMs: 150_000,
    });
    expect(run.code, run.output).toBe(0);
    const client = httpClient(backend.url);

    // Rate limiter: a bucket of 3 per key, then the time to wait.
    for (let i = 0; i < 3; i++) expect(await client.mutation(demo.send!, { key: "a" })).toEqual({ ok: true });
    const refused = (await client.mutation(demo.send!, { key: "a" })) as { ok: boolean; retryAfter: number };
    expect(refused.ok).toBe(false);
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(await client.mutation(demo.send!, { key: "b" })).toEqual({ ok: true });
    // Sharded counter: the sum over its shards.
    expect(await client.query(demo.count!, {})).toBe(4);

    // Migrations, started from the CLI as their README shows.
    const migrate = await runConvexCli(["run", "demo:runMigration", "{}"], { cwd: npmDir, backend });
    expect(migrate.code, migrate.output).toBe(0);
    await expect.poll(() => client.query(demo.done!, {}), { timeout: 10_000 }).toBe(4);

    // Presence: both users of a room are listed as online.
    const first = (await client.mutation(demo.heartbeat!, { room: "r", user: "ada", session: "s1" })) as {
      roomToken: string;
    };
    await client.mutation(demo.heartbeat!, { room: "r", user: "bo", session: "s2" });
    const present = (await client.query(demo.present!, { roomToken: first.roomToken })) as {
      userId: string;
      online: boolean;
    }[];
    expect(present.map(({ userId, online }) => [userId, online]).sort()).toEqual([
      ["ada", true],
      ["bo", true],
    ]);

    // Work pool: the deletions run through it (its scheduler loop), and the counter follows.
    const ids = (await client.mutation(demo.removeAll!, {})) as string[];
    expect(ids).toHaveLength(4);
    await expect.poll(() => client.query(demo.left!, {}), { timeout: 20_000 }).toBe(0);
    expect(await client.query(demo.count!, {})).toBe(0);
    await expect
      .poll(() => client.query(demo.status!, { id: ids[0]! }), { timeout: 10_000 })
      .toEqual({ state: "finished" });
  });
});
