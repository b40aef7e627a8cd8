// @vitest-environment node
/**
 * The real Convex CLI (`npx convex`, as a child process) against the local backend as a
 * self-hosted deployment: pushes, environment variables, `run`, `logs`, and live reload under
 * `convex dev`, on a small project of its own (test/cli-project: schema, auth config, HTTP route,
 * cron), copied to a temporary directory so the CLI's generated code stays there.
 */
import { cp, readFile, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { anyApi } from "convex/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineConvex, type OfflineConvexServer } from "../src";
import { runConvexCli, spawnConvexCli } from "../src/testing";
import { startTestIssuer, type TestIssuer } from "./issuer";
import { eventually, httpClient, simpleClient, tempDir, watch } from "./support";

const PROJECT = path.join(import.meta.dirname, "cli-project");
const NODE_MODULES = path.dirname(path.dirname(createRequire(import.meta.url).resolve("convex/package.json")));

let data: ReturnType<typeof tempDir>;
let dir: string;
let server: OfflineConvexServer;
let issuer: TestIssuer;

const cli = (args: string[], timeoutMs?: number) => runConvexCli(args, { cwd: dir, backend: server, timeoutMs });

/** Rewrites a file of the project copy, replacing `from` (which must be there) by `to`. */
async function edit(file: string, from: string, to: string): Promise<void> {
  const target = path.join(dir, "convex", file);
  const text = await readFile(target, "utf8");
  if (!text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}`);
  await writeFile(target, text.replace(from, to));
}

beforeAll(async () => {
  data = tempDir("convex-local-cli-");
  dir = path.join(data.dir, "project");
  await cp(PROJECT, dir, { recursive: true });
  await symlink(NODE_MODULES, path.join(dir, "node_modules"), "dir");
  issuer = await startTestIssuer();
  server = await startOfflineConvex({ dataDir: path.join(data.dir, "backend"), port: 0, sitePort: 0, quiet: true });
});

afterAll(async () => {
  await server?.close();
  await issuer?.close();
  data?.remove();
});

describe("the Convex CLI against the local backend", { timeout: 120_000 }, () => {
  it("`convex dev --once` stops while the auth config's variable is unset, naming the command that sets it", async () => {
    const run = await cli(["dev", "--once"]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      "Environment variable NOTES_ISSUER is used in auth config file but its value was not set.",
    );
    expect(run.output).toContain("npx convex env set");
    expect(server.hasCode()).toBe(false);
  });

  it("`convex dev --once` pushes the project once the variable is set, and writes its generated code", async () => {
    const set = await cli(["env", "set", "NOTES_ISSUER", issuer.url]);
    expect(set.code, set.output).toBe(0);
    const run = await cli(["dev", "--once"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("Convex functions ready!");
    const api = await readFile(path.join(dir, "convex/_generated/api.d.ts"), "utf8");
    expect(api).toContain('import type * as notes from "../notes.js"');
    expect(server.hasCode()).toBe(true);
  });

  it("`convex env set/list/get/remove` change what functions see", async () => {
    const set = await cli(["env", "set", "GREETING_STYLE", "formal"]);
    expect(set.code, set.output).toBe(0);
    const list = (await cli(["env", "list"])).stdout;
    expect(list).toContain("GREETING_STYLE=formal");
    expect(list).toContain(`NOTES_ISSUER=${issuer.url}`);
    expect((await cli(["env", "get", "GREETING_STYLE"])).stdout.trim()).toBe("formal");
    const seen = await cli(["run", "notes:setting", JSON.stringify({ name: "GREETING_STYLE" })]);
    expect(seen.stdout).toContain('"formal"');

    const removed = await cli(["env", "remove", "GREETING_STYLE"]);
    expect(removed.code, removed.output).toBe(0);
    expect((await cli(["env", "list"])).stdout).not.toContain("GREETING_STYLE");
    const gone = await cli(["run", "notes:setting", JSON.stringify({ name: "GREETING_STYLE" })]);
    // The CLI prints nothing for a null result.
    expect(gone.code, gone.output).toBe(0);
    expect(gone.stdout.trim()).toBe("");
  });

  it("refuses a variable name Convex refuses, with the deployment's reason", async () => {
    const run = await cli(["env", "set", "1BAD", "x"]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("1BAD is invalid");
  });

  it("`convex run` runs public and internal functions with their arguments", async () => {
    const greeting = await cli(["run", "notes:greeting", JSON.stringify({ name: "Ada" })]);
    expect(greeting.code, greeting.output).toBe(0);
    expect(greeting.stdout).toContain('"Hello, Ada!"');
    const before = Number((await cli(["run", "notes:count"])).stdout.trim());
    expect((await cli(["run", "notes:add", JSON.stringify({ text: "from the CLI" })])).code).toBe(0);
    const after = await cli(["run", "notes:count"]);
    expect(after.code, after.output).toBe(0);
    expect(Number(after.stdout.trim())).toBe(before + 1);
  });

  it("`convex run` reports a function's argument error and exits non-zero", async () => {
    const run = await cli(["run", "notes:greeting", JSON.stringify({ name: 42 })]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('Failed to run function "notes:greeting"');
    // The deployment's wording (convex-backend crates/udf/src/validation.rs), not convex-test's.
    expect(run.output).toContain(
      "ArgumentValidationError: Value does not match validator.\nPath: .name\nValue: 42.0\nValidator: v.string()",
    );
  });

  it("`convex logs` shows a function's console output as it runs", async () => {
    const logs = spawnConvexCli(["logs"], { cwd: dir, backend: server });
    try {
      await eventually(() => /Watching logs/i.test(logs.output()), "convex logs to start", 30_000);
      // `convex logs` skips whatever its first poll finds (history), so a line logged before that poll
      // is answered is never shown: log again until one shows.
      const deadline = Date.now() + 30_000;
      for (let i = 1; !logs.output().includes("adding note: seen by logs"); i += 1) {
        if (Date.now() > deadline) throw new Error(`no log line after 30 s:\n${logs.output()}`);
        await httpClient(server.url).mutation(anyApi.notes!.add!, { text: `seen by logs ${i}` });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      logs.child.kill("SIGTERM");
      await logs.done;
    }
  });

  it("serves the pushed project to real clients: auth config, HTTP route and cron", async () => {
    const { token } = issuer.signIn("alice.johnson@example.com");
    const http = httpClient(server.url, await token());
    expect(await http.query(anyApi.notes!.whoami!, {})).toMatch(/^user_/);

    const response = await fetch(`${server.siteUrl}/notes`, { method: "POST", body: "over HTTP" });
    expect(response.status).toBe(201);
    const notes = (await http.query(anyApi.notes!.list!, {})) as { text: string }[];
    expect(notes.map((note) => note.text)).toContain("over HTTP");

    const ticks = async () => Number((await cli(["run", "notes:tickCount"])).stdout.trim());
    const first = await ticks();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await ticks()).toBeGreaterThan(first);
  });

  it("refuses a push whose schema the stored notes violate, with the reason, and keeps the old code", async () => {
    await edit("schema.ts", "text: v.string()", "text: v.number()");
    try {
      const run = await cli(["dev", "--once", "--typecheck", "disable"]);
      expect(run.code).not.toBe(0);
      expect(run.output).toMatch(/Schema validation failed/);
      expect(run.output).toMatch(/notes/);
      const greeting = await cli(["run", "notes:greeting", JSON.stringify({ name: "Ada" })]);
      expect(greeting.stdout).toContain('"Hello, Ada!"');
    } finally {
      await edit("schema.ts", "text: v.number()", "text: v.string()");
    }
  });

  it("refuses a module that throws on import, and keeps the old code", async () => {
    await writeFile(
      path.join(dir, "convex/broken.ts"),
      'export const value = 1;\nthrow new Error("broken on purpose");\n',
    );
    try {
      const run = await cli(["dev", "--once", "--typecheck", "disable"]);
      expect(run.code).not.toBe(0);
      expect(run.output).toContain("broken on purpose");
      expect((await cli(["run", "notes:greeting", JSON.stringify({ name: "Ada" })])).stdout).toContain("Hello, Ada!");
    } finally {
      await writeFile(path.join(dir, "convex/broken.ts"), "export {};\n");
    }
  });

  it("under `convex dev`, saving a function re-pushes it and a subscribed client gets the new result on the same connection", async () => {
    const { client } = simpleClient(server.url);
    const dev = spawnConvexCli(["dev", "--typecheck", "disable"], { cwd: dir, backend: server });
    try {
      const greeting = watch<string>((onValue, onError) =>
        client.onUpdate(anyApi.notes!.greeting!, { name: "Ada" }, onValue, onError),
      );
      await greeting.until((value) => value === "Hello, Ada!", "the first result");
      await eventually(() => dev.output().includes("Convex functions ready!"), "the first push", 60_000);
      const connections = client.connectionState().connectionCount;

      await edit("notes.ts", "`Hello, ${name}!`", "`Welcome, ${name}!`");
      await greeting.until((value) => value === "Welcome, Ada!", "the new result", 60_000);
      expect(client.connectionState().connectionCount).toBe(connections);
      expect(greeting.errors).toEqual([]);
      await eventually(
        () => (dev.output().match(/Convex functions ready!/g) ?? []).length >= 2,
        "the second push's end",
        30_000,
      );
      expect(dev.output()).not.toContain("Unable to report push completed");
    } finally {
      dev.child.kill("SIGTERM");
      await dev.done;
      await client.close();
      await edit("notes.ts", "`Welcome, ${name}!`", "`Hello, ${name}!`").catch(() => {});
    }
  });
});
