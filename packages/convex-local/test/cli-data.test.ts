// @vitest-environment node
/**
 * The real Convex CLI (`npx convex`, as a child process) moving data in and out of the local
 * backend: `import` (Convex docs "Data Import"; convex-backend crates/application/src/snapshot_import,
 * crates/local_backend/src/snapshot_import.rs), `export` ("Data Export"; crates/exports,
 * crates/local_backend/src/snapshot_export.rs), and what Convex's templates run before `dev`
 * (`convex dev --until-success`, `convex dev --run`, `convex dashboard`; "CLI" docs), against the
 * backend started as its README says (`node --import tsx src/cli.ts`). The project is
 * test/cli-project with two modules and a table added, copied to a temporary directory.
 */
import { spawn } from "node:child_process";
import { cp, readFile, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { anyApi } from "convex/server";
import { convexToJson, type Value } from "convex/values";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineConvex, type OfflineConvexServer } from "../src";
import { eventually, runConvexCli } from "../src/testing";
import { readZip } from "../src/zip";
import { startTestIssuer, type TestIssuer } from "./issuer";
import { httpClient, simpleClient, tempDir, watch } from "./support";

const PROJECT = path.join(import.meta.dirname, "cli-project");
const NODE_MODULES = path.dirname(path.dirname(createRequire(import.meta.url).resolve("convex/package.json")));

/** Modules added to the copy: seed data with every kind of value, and file storage. */
const EXTRA_MODULES: Record<string, string> = {
  "seed.ts": `import { mutationGeneric } from "convex/server";
import { v } from "convex/values";

export const init = mutationGeneric({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    await ctx.db.insert("notes", { text: "seeded by dev --run" });
    return null;
  },
});

export const kinds = mutationGeneric({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    await ctx.db.insert("kinds", {
      big: 123n,
      bytes: new Uint8Array([1, 2, 3]).buffer,
      float: 1,
      fraction: 0.25,
      negativeZero: -0,
      notANumber: NaN,
      infinity: -Infinity,
      nested: { list: [1n, "x", null, true, 2.5], empty: {} },
    });
    return null;
  },
});
`,
  "files.ts": `import { actionGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const store = actionGeneric({
  args: { text: v.string() },
  returns: v.id("_storage"),
  handler: async (ctx, { text }) => await ctx.storage.store(new Blob([text], { type: "text/plain" })),
});

export const url = queryGeneric({
  args: { id: v.id("_storage") },
  returns: v.union(v.string(), v.null()),
  handler: async (ctx, { id }) => await ctx.storage.getUrl(id),
});
`,
};

let data: ReturnType<typeof tempDir>;
let dir: string;
let issuer: TestIssuer;
let server: OfflineConvexServer;
const others: OfflineConvexServer[] = [];

type Backend = { url: string; adminKey: string };

const cli = (args: string[], backend: Backend = server) =>
  runConvexCli(args, { cwd: dir, backend, timeoutMs: 120_000 });

/**
 * The backend as a process of its own, started from the command line as the README shows; stops
 * (and is waited for) with `stop`.
 */
async function commandLineBackend(name: string): Promise<Backend & { stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(import.meta.dirname, "../src/cli.ts"),
      ...["--port", "0", "--site-port", "0", "--quiet"],
      ...["--data-dir", path.join(data.dir, name), "--env", `NOTES_ISSUER=${issuer.url}`],
    ],
    { cwd: path.join(import.meta.dirname, "../../.."), stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = await eventually(
    () =>
      /CONVEX_SELF_HOSTED_URL=(\S+) CONVEX_SELF_HOSTED_ADMIN_KEY=(\S+)/.exec(output) ??
      (child.exitCode !== null && "exited"),
    "the backend's ready line",
    60_000,
  );
  if (ready === "exited") throw new Error(`the backend did not start:\n${output}`);
  return {
    url: ready[1]!,
    adminKey: ready[2]!,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A file in the test's directory with `text` in it; its path. */
async function file(name: string, text: string): Promise<string> {
  const target = path.join(data.dir, name);
  await writeFile(target, text);
  return target;
}

async function freshBackend(name: string): Promise<OfflineConvexServer> {
  const backend = await startOfflineConvex({ dataDir: path.join(data.dir, name), port: 0, sitePort: 0, quiet: true });
  others.push(backend);
  return backend;
}

/** A table's committed documents in their JSON form (ids, creation times and value types all show), by id. */
function documents(backend: OfflineConvexServer, table: string): Map<string, string> {
  return new Map(
    backend.engine.internals
      .committedDocuments(table)
      .map((doc) => [String(doc._id), JSON.stringify(convexToJson(doc as Value))] as const),
  );
}

function rows(backend: OfflineConvexServer, table: string): Record<string, Value>[] {
  return [...backend.engine.internals.committedDocuments(table)].sort(
    (a, b) => Number(a._creationTime) - Number(b._creationTime),
  );
}

beforeAll(async () => {
  data = tempDir("convex-local-cli-data-");
  dir = path.join(data.dir, "project");
  await cp(PROJECT, dir, { recursive: true });
  for (const [name, source] of Object.entries(EXTRA_MODULES)) await writeFile(path.join(dir, "convex", name), source);
  await writeFile(
    path.join(dir, "convex/schema.ts"),
    (await readFile(path.join(dir, "convex/schema.ts"), "utf8")).replace(
      "ticks:",
      "people: defineTable({ name: v.string(), age: v.optional(v.number()) }),\n  ticks:",
    ),
  );
  await symlink(NODE_MODULES, path.join(dir, "node_modules"), "dir");
  issuer = await startTestIssuer();
  server = await startOfflineConvex({
    dataDir: path.join(data.dir, "backend"),
    port: 0,
    sitePort: 0,
    quiet: true,
    env: { NOTES_ISSUER: issuer.url },
  });
  const pushed = await cli(["dev", "--once", "--typecheck", "disable"]);
  if (pushed.code !== 0) throw new Error(`the push failed:\n${pushed.output}`);
  const seeded = await cli(["run", "seed:init"]);
  if (seeded.code !== 0) throw new Error(`seeding failed:\n${seeded.output}`);
}, 120_000);

afterAll(async () => {
  await Promise.all([server, ...others].map((backend) => backend?.close()));
  await issuer?.close();
  data?.remove();
});

describe(
  "what a Convex template runs before `dev`, against the backend started from the command line",
  { timeout: 180_000 },
  () => {
    let backend: Awaited<ReturnType<typeof commandLineBackend>>;
    beforeAll(async () => {
      backend = await commandLineBackend("command-line");
    }, 60_000);
    afterAll(async () => {
      await backend?.stop();
    });

    it("`convex dev --until-success` pushes (type-checked, with an auth config that reads a variable) and exits", async () => {
      const run = await cli(["dev", "--until-success"], backend);
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain("Convex functions ready!");
      expect((await cli(["run", "notes:greeting", JSON.stringify({ name: "Ada" })], backend)).stdout).toContain(
        '"Hello, Ada!"',
      );
    });

    it("`convex dev --until-success --run` runs the function once after the push", async () => {
      const run = await cli(["dev", "--until-success", "--run", "seed:init", "--typecheck", "disable"], backend);
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain('Finished running function "seed:init"');
      const notes = await cli(["run", "notes:list"], backend);
      expect(notes.stdout.match(/seeded by dev --run/g)).toHaveLength(1);
    });

    it("`convex dashboard` explains that a self-hosted deployment has no dashboard, and exits 0", async () => {
      const run = await cli(["dashboard", "--no-open"], backend);
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain("`npx convex dashboard` is not supported for self-hosted deployments");
    });
  },
);

describe("`convex import` of one table", { timeout: 120_000 }, () => {
  it("imports JSONL into an empty table, every number a float64", async () => {
    const jsonl = await file("people.jsonl", '{"name":"Ada","age":36}\n{"name":"Grace"}\n');
    const run = await cli(["import", "--table", "people", jsonl, "--yes"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('Added 2 documents to table "people"');
    const people = rows(server, "people");
    expect(people.map(({ name, age }) => ({ name, age }))).toEqual([
      { name: "Ada", age: 36 },
      { name: "Grace", age: undefined },
    ]);
    expect(typeof people[0]!.age).toBe("number");
  });

  it("refuses to import into a table that has documents unless told to append or replace", async () => {
    const jsonl = await file("more.jsonl", '{"name":"Linus"}\n');
    const run = await cli(["import", "--table", "people", jsonl, "--yes"]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      "Table people already exists. Please choose a new table name or use replace/append modes.",
    );
    expect(rows(server, "people")).toHaveLength(2);
  });

  it("appends a JSON array", async () => {
    const json = await file("more.json", JSON.stringify([{ name: "Linus" }, { name: "Barbara", age: 80 }]));
    const run = await cli(["import", "--table", "people", json, "--append", "--yes"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('Added 2 documents to table "people"');
    expect(rows(server, "people").map((person) => person.name)).toEqual(["Ada", "Grace", "Linus", "Barbara"]);
  });

  it("replaces a table with a CSV file, showing what it creates and deletes; an empty cell of an optional field is left out", async () => {
    const csv = await file("people.csv", 'name,age\nAlan,41\n"Hopper, Grace",\n');
    const run = await cli(["import", "--table", "people", csv, "--replace", "--yes"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/people \| 2\s*\| 4 of 4 \|/);
    expect(rows(server, "people").map(({ name, age }) => ({ name, age }))).toEqual([
      { name: "Alan", age: 41 },
      { name: "Hopper, Grace", age: undefined },
    ]);
  });

  it("refuses a file a document of which breaks the schema, with the deployment's reason, and writes none of it", async () => {
    const before = documents(server, "notes");
    const jsonl = await file("bad-notes.jsonl", '{"text":"fine"}\n{"text":5}\n');
    const run = await cli(["import", "--table", "notes", jsonl, "--append", "--yes"]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      'Failed to insert or update a document in table "notes" because it does not match the schema',
    );
    expect(documents(server, "notes")).toEqual(before);
  });

  it("refuses an `_id` this backend did not make (another deployment's), and writes nothing", async () => {
    const jsonl = await file("foreign.jsonl", '{"_id":"jd7f4q8w0b3x2k9m5n1p6r","name":"Mallory"}\n');
    const run = await cli(["import", "--table", "people", jsonl, "--append", "--yes"]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("invalid _id 'jd7f4q8w0b3x2k9m5n1p6r'");
    expect(rows(server, "people")).toHaveLength(2);
  });

  it("re-runs a subscribed query once the import commits", async () => {
    const { client } = simpleClient(server.url);
    try {
      const notes = watch<{ text: string }[]>((onValue, onError) =>
        client.onUpdate(anyApi.notes!.list!, {}, onValue, onError),
      );
      await notes.until((list) => list.length === 1, "the seeded note");
      const jsonl = await file("notes.jsonl", '{"text":"imported"}\n');
      const run = await cli(["import", "--table", "notes", jsonl, "--append", "--yes"]);
      expect(run.code, run.output).toBe(0);
      await notes.until((list) => list.some((note) => note.text === "imported"), "the imported note", 10_000);
    } finally {
      await client.close();
    }
  });
});

describe("the import and export endpoints", () => {
  it("answer only callers with the admin key, as a deployment's do", async () => {
    const refused = await Promise.all([
      fetch(`${server.url}/api/import/start_upload`, { method: "POST" }),
      fetch(`${server.url}/api/perform_import`, { method: "POST", body: JSON.stringify({ importId: "1" }) }),
      fetch(`${server.url}/api/export/request/zip?includeStorage=false`, { method: "POST" }),
      fetch(`${server.url}/api/export/zip/1`),
      fetch(`${server.url}/api/export/zip/1`, { headers: { authorization: "Convex convex-local|not-the-key" } }),
    ]);
    expect(refused.map((response) => response.status)).toEqual([401, 401, 401, 401, 401]);
    const list = await fetch(`${server.url}/api/query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "_system/cli/queryImport:list", args: [{}], format: "json" }),
    });
    expect(await list.json()).toMatchObject({ status: "error" });
  });
});

describe("`convex export`, and `convex import` of its snapshot", { timeout: 180_000 }, () => {
  it("exports every table to a ZIP that a fresh backend imports to the same documents, ids and creation times", async () => {
    expect((await cli(["run", "seed:kinds"])).code).toBe(0);
    const zip = path.join(data.dir, "snapshot.zip");
    const exported = await cli(["export", "--path", zip]);
    expect(exported.code, exported.output).toBe(0);
    expect(exported.output).toContain("Created snapshot export at timestamp");

    const entries = readZip(await readFile(zip));
    const names = entries.map((entry) => entry.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "README.md",
        "_tables/documents.jsonl",
        "notes/documents.jsonl",
        "people/documents.jsonl",
        "kinds/documents.jsonl",
        "kinds/generated_schema.jsonl",
      ]),
    );
    expect(names.some((name) => name.startsWith("_storage/") || name.startsWith("_exports/"))).toBe(false);
    // The lossless export encoding: an int64 is an integer literal, a float64 keeps its fraction.
    const kinds = entries
      .find((entry) => entry.name === "kinds/documents.jsonl")!
      .read()
      .toString("utf8");
    expect(kinds).toContain('"big":123,');
    expect(kinds).toContain('"float":1.0,');
    expect(kinds).toContain('"bytes":{"$bytes":"AQID"}');

    const fresh = await freshBackend("fresh");
    const imported = await cli(["import", zip, "--yes"], fresh);
    expect(imported.code, imported.output).toBe(0);
    for (const table of ["notes", "people", "kinds"]) {
      expect(documents(fresh, table), table).toEqual(documents(server, table));
    }
    // The cron keeps ticking on the original: what the snapshot caught came across unchanged.
    const ticks = documents(fresh, "ticks");
    expect(ticks.size).toBeGreaterThan(0);
    const original = documents(server, "ticks");
    for (const [id, doc] of ticks) expect(doc).toBe(original.get(id));
  });

  it("`--replace-all` replaces every table with the file's and asks about each it deletes from", async () => {
    const fresh = others[0]!;
    const notes = documents(fresh, "notes").size;
    const jsonl = await file("only-people.jsonl", '{"name":"Margaret"}\n');
    const run = await cli(["import", "--table", "people", jsonl, "--replace-all", "--yes"], fresh);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(new RegExp(`notes\\s*\\| 0\\s*\\| ${notes} of ${notes}\\s*\\|`));
    expect(rows(fresh, "people").map((person) => person.name)).toEqual(["Margaret"]);
    expect(rows(fresh, "notes")).toEqual([]);
    expect(rows(fresh, "kinds")).toEqual([]);
  });

  it("`--include-file-storage` carries the files: the other backend serves the same bytes at the same URL path", async () => {
    const stored = await cli(["run", "files:store", JSON.stringify({ text: "hello, storage" })]);
    expect(stored.code, stored.output).toBe(0);
    const id = JSON.parse(stored.stdout.trim()) as string;
    const url = (await httpClient(server.url, undefined).query(anyApi.files!.url!, { id })) as string;
    const zip = path.join(data.dir, "with-files.zip");
    const exported = await cli(["export", "--include-file-storage", "--path", zip]);
    expect(exported.code, exported.output).toBe(0);
    expect(readZip(await readFile(zip)).map((entry) => entry.name)).toEqual(
      expect.arrayContaining(["_storage/documents.jsonl", `_storage/${id}.txt`]),
    );

    const fresh = await freshBackend("fresh-files");
    const imported = await cli(["import", zip, "--yes"], fresh);
    expect(imported.code, imported.output).toBe(0);
    expect(documents(fresh, "_storage")).toEqual(documents(server, "_storage"));
    const served = await fetch(fresh.url + new URL(url).pathname);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("text/plain");
    expect(await served.text()).toBe("hello, storage");
  });
});
