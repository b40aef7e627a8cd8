/**
 * `npx convex export` against the local backend, as a deployment serves it (convex-backend
 * crates/local_backend/src/snapshot_export.rs, crates/exports/src, crates/model/src/exports; the
 * CLI's node_modules/convex/src/cli/lib/convexExport.ts):
 *
 * - `POST /api/export/request/zip?includeStorage=…` adds a row to `_exports` (`requested`; one
 *   export at a time, else `ExportInProgress`) and answers at once; the snapshot is then taken
 *   (`in_progress`, `start_ts` = the timestamp it reflects) and written (`completed`). The CLI
 *   follows the row through the system query `_system/cli/exports:getLatest`.
 * - `GET /api/export/zip/<start_ts>` (or `<export id>`) downloads it.
 *
 * The ZIP is what a deployment writes (see snapshot-format.ts): every table of the app as
 * `<table>/documents.jsonl` in the lossless export encoding, `_tables`, a README, and with
 * `includeStorage` the `_storage` metadata and files. It reflects one transaction: no commit lands
 * between the tables. `npx convex import` of it into an empty backend restores every document with
 * its `_id` and `_creationTime`. Components' tables are not exported. The file is kept in
 * `<dataDir>/exports/` (0600) until the next export replaces it.
 */
import { createReadStream } from "node:fs";
import { chmod, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { convexToJson, type JSONValue, type Value } from "convex/values";
import { RawAnswer, type Route } from "./deploy-api";
import type { Engine } from "./engine";
import {
  exportLine,
  extensionFor,
  SNAPSHOT_README,
  STORAGE_TABLE,
  TABLES_TABLE,
  UNIFORM_SCHEMA,
} from "./snapshot-format";
import type { FileStorage } from "./storage";
import { ZipWriter } from "./zip";

export const EXPORTS_TABLE = "_exports";
const EXPORTS_DIR = "exports";
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** How long a deployment keeps a snapshot export by default (nanoseconds). */
const EXPIRATION_NS = 14n * 24n * 60n * 60n * 1_000_000_000n;
/** MAX_CACHE_AGE of snapshot_export.rs: an export never changes. */
const CACHE_CONTROL = `private, max-age=${60 * 60 * 24 * 30}`;
/** Convex numbers user tables from 10001; the numbers here only order `_tables`. */
const FIRST_TABLE_NUMBER = 10001;

type Document = Record<string, Value>;

/** What one export holds, read in one transaction. */
type Snapshot = {
  tables: [string, Document[]][];
  files: { row: Document; uuid: string; bytes: Buffer }[] | null;
};

class ExportRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export type SnapshotExportDeps = {
  engine: Engine;
  files: FileStorage;
  dataDir: string;
  /** The deployment's name, in the downloaded file's name. */
  instanceName: string;
  log: (line: string) => void;
};

export class SnapshotExports {
  readonly dir: string;
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: SnapshotExportDeps) {
    this.dir = path.join(deps.dataDir, EXPORTS_DIR);
  }

  /**
   * Fails the exports an earlier run left unfinished, and removes every file that is not a
   * completed export's (a half-written one, or one whose row a `--reset` took).
   */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
    await chmod(this.dir, DIR_MODE);
    const { engine } = this.deps;
    const unfinished = this.rows().filter((row) => row.state === "requested" || row.state === "in_progress");
    if (unfinished.length > 0) {
      await engine.transaction(() => {
        for (const row of unfinished) {
          engine.internals.tx.patch(EXPORTS_TABLE, String(row._id), {
            state: "failed",
            failed_ts: convexToJson(engine.internals.currentTs()),
            start_ts: convexToJson(typeof row.start_ts === "bigint" ? row.start_ts : 0n),
          });
        }
      });
    }
    const kept = new Set(this.rows().flatMap((row) => (row.state === "completed" ? [String(row.zip_object_key)] : [])));
    for (const name of await readdir(this.dir)) {
      if (!kept.has(name)) await rm(path.join(this.dir, name), { force: true, recursive: true });
    }
  }

  /** Waits for the export under way, and takes no more. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
  }

  routes(): Record<string, Route> {
    return {
      "/api/export/request/zip": {
        method: "POST",
        raw: true,
        handle: (_body, url) => this.request(url).then(() => null),
      },
      "/api/export/zip/": { method: "GET", handle: (_body, url) => this.download(url) },
    };
  }

  /** `_system/cli/exports:getLatest`: the latest snapshot export, or null. */
  systemQuery(udfPath: string): { value: JSONValue; tables: string[] } | null {
    if (udfPath !== "_system/cli/exports:getLatest") return null;
    const latest = this.latest();
    return { value: latest === null ? null : convexToJson(latest), tables: [EXPORTS_TABLE] };
  }

  private async request(url: URL): Promise<void> {
    if (this.closed) throw new ExportRequestError(503, "ShuttingDown", "The local Convex server is shutting down.");
    const component = url.searchParams.get("component");
    if (component !== null && component !== "") {
      throw new ExportRequestError(
        400,
        "ComponentsNotSupported",
        "The local Convex server exports the app's own tables only, not a component's.",
      );
    }
    const includeStorage = url.searchParams.get("includeStorage") === "true";
    const { engine } = this.deps;
    const id = await engine.transaction(() => {
      const latest = this.latest();
      if (latest !== null && (latest.state === "requested" || latest.state === "in_progress")) {
        throw new ExportRequestError(400, "ExportInProgress", "There is already an export requested or in progress.");
      }
      return engine.internals.tx.insert(EXPORTS_TABLE, {
        state: "requested",
        format: { format: "zip", include_storage: includeStorage },
        component: null,
        requestor: "snapshotExport",
        expiration_ts: BigInt(Date.now()) * 1_000_000n + EXPIRATION_NS,
      });
    });
    this.running = this.running.then(() => this.run(id, includeStorage));
  }

  private async run(id: string, includeStorage: boolean): Promise<void> {
    const { engine, files } = this.deps;
    let startTs = 0n;
    let snapshot: Snapshot | undefined;
    let file: string | undefined;
    try {
      await engine.transaction(() => {
        const { internals } = engine;
        startTs = internals.currentTs();
        const names = internals
          .tables()
          .filter((table) => !table.startsWith("_"))
          .sort(byCodePoint);
        snapshot = {
          tables: names.map((table): [string, Document[]] => [
            table,
            [...internals.committedDocuments(table)].sort(
              (a, b) => Number(a._creationTime) - Number(b._creationTime) || byCodePoint(String(a._id), String(b._id)),
            ),
          ]),
          // The bytes are read now: a file deleted after this snapshot is still in it.
          files: !includeStorage
            ? null
            : internals.committedDocuments(STORAGE_TABLE).flatMap((row) => {
                const stored = files.readCommitted(String(row._id));
                return stored === null ? [] : [{ row, ...stored }];
              }),
        };
        internals.tx.patch(EXPORTS_TABLE, id, { state: "in_progress", start_ts: convexToJson(startTs) });
      });
      const name = `${startTs}.zip`;
      file = path.join(this.dir, `${name}.tmp`);
      const size = await this.write(file, snapshot!);
      await rename(file, path.join(this.dir, name));
      file = undefined;
      await engine.transaction(() =>
        engine.internals.tx.patch(EXPORTS_TABLE, id, {
          state: "completed",
          complete_ts: convexToJson(engine.internals.currentTs()),
          zip_object_key: name,
          size: convexToJson(BigInt(size)),
        }),
      );
      // One export is kept: the one the CLI is about to download.
      for (const other of await readdir(this.dir)) {
        if (other !== name) await rm(path.join(this.dir, other), { force: true, recursive: true });
      }
    } catch (error) {
      this.deps.log(`snapshot export: ${(error as Error).stack ?? String(error)}`);
      if (file !== undefined) await rm(file, { force: true });
      await engine.transaction(() =>
        engine.internals.tx.patch(EXPORTS_TABLE, id, {
          state: "failed",
          start_ts: convexToJson(startTs),
          failed_ts: convexToJson(engine.internals.currentTs()),
        }),
      );
    }
  }

  /** Writes the ZIP; its size. */
  private async write(file: string, snapshot: Snapshot): Promise<number> {
    const zip = await ZipWriter.create(file, { mode: FILE_MODE });
    try {
      await zip.add("README.md", SNAPSHOT_README);
      await zip.add(
        `${TABLES_TABLE}/documents.jsonl`,
        snapshot.tables.map(([name], i) => `${JSON.stringify({ name, id: FIRST_TABLE_NUMBER + i })}\n`).join(""),
      );
      for (const [table, documents] of snapshot.tables) {
        await zip.add(`${table}/documents.jsonl`, documents.map(exportLine).join(""));
        await zip.add(`${table}/generated_schema.jsonl`, UNIFORM_SCHEMA);
      }
      if (snapshot.files !== null) {
        const lines = snapshot.files.map(
          ({ row, uuid }) =>
            `${JSON.stringify({
              _id: row._id,
              _creationTime: row._creationTime,
              sha256: row.sha256,
              size: row.size,
              contentType: row.contentType ?? null,
              internalId: uuid,
            })}\n`,
        );
        await zip.add(`${STORAGE_TABLE}/documents.jsonl`, lines.join(""));
        for (const { row, bytes } of snapshot.files) {
          const contentType = typeof row.contentType === "string" ? row.contentType : null;
          await zip.add(`${STORAGE_TABLE}/${String(row._id)}${extensionFor(contentType)}`, bytes);
        }
      }
    } catch (error) {
      await zip.abandon();
      throw error;
    }
    const size = await zip.finish();
    await chmod(file, FILE_MODE);
    return size;
  }

  private async download(url: URL): Promise<RawAnswer> {
    const encoded = url.pathname.slice("/api/export/zip/".length);
    let id: string;
    try {
      id = decodeURIComponent(encoded);
    } catch {
      id = encoded;
    }
    const row = /^[0-9]+$/.test(id)
      ? this.rows().find((candidate) => candidate.state === "completed" && String(candidate.start_ts) === id)
      : this.rows().find((candidate) => candidate._id === id);
    if (row === undefined) {
      throw new ExportRequestError(404, "ExportNotFound", `The requested export ${id} was not found`);
    }
    if (row.state !== "completed") {
      throw new ExportRequestError(400, "ExportNotComplete", `The requested export ${id} has not completed`);
    }
    const file = path.join(this.dir, String(row.zip_object_key));
    const size = await stat(file).then(
      (stats) => stats.size,
      () => null,
    );
    if (size === null) {
      throw new ExportRequestError(404, "ExportNotFound", `The requested export ${id} was not found`);
    }
    return new RawAnswer(
      {
        "content-type": "application/zip",
        "content-length": String(size),
        "content-disposition": `attachment; filename=snapshot_${this.deps.instanceName}_${String(row.start_ts)}.zip`,
        "cache-control": CACHE_CONTROL,
      },
      createReadStream(file),
    );
  }

  private rows(): Document[] {
    return this.deps.engine.internals.committedDocuments(EXPORTS_TABLE);
  }

  private latest(): Document | null {
    let latest: Document | null = null;
    for (const row of this.rows()) {
      if (row.requestor !== "snapshotExport") continue;
      if (latest === null || Number(row._creationTime) > Number(latest._creationTime)) latest = row;
    }
    return latest;
  }
}
