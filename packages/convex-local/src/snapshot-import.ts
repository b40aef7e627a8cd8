/**
 * `npx convex import` against the local backend, as a deployment serves it (convex-backend
 * crates/local_backend/src/snapshot_import.rs, crates/application/src/snapshot_import/,
 * crates/model/src/snapshot_imports; the CLI's node_modules/convex/src/cli/lib/convexImport.ts):
 *
 * 1. `POST /api/import/start_upload` → `{ uploadToken }`; `POST /api/import/upload_part?uploadToken&partNumber`
 *    with the bytes → a part token; `POST /api/import/finish_upload` with the format, table, mode and
 *    part tokens → `{ importId }`. The import is a row of `_snapshot_imports` in state `uploaded`.
 * 2. The file is parsed and compared with the data: the row moves to `waiting_for_confirmation`
 *    with the table of what will be created and deleted (the CLI shows it and asks), or `failed`.
 * 3. `POST /api/perform_import { importId }` → `in_progress`, then `completed` with the number of
 *    documents written, or `failed` with the reason. The CLI follows the row through the system
 *    query `_system/cli/queryImport` on the sync protocol.
 *
 * Formats: JSONL, a JSON array and CSV for one table (`--table`), and a ZIP snapshot as `npx convex
 * export` writes it (`_id` and `_creationTime` kept, `_storage` files too). Modes: `requireEmpty`
 * (the default: the tables must be empty), `append`, `replace` (the tables in the file), `replaceAll`
 * (every table of the app). Documents are checked against the live schema and written in one
 * transaction: a failing import writes nothing, and live queries re-run once it commits.
 *
 * Unlike a deployment, the uploaded file is kept in memory (a restart fails the imports that were
 * not finished), only the app's own tables are imported (not a component's), and only ids this
 * backend made (digits, then the table name) can be kept: a document with another deployment's
 * `_id` is refused.
 */
import { createHash, randomBytes } from "node:crypto";
import { convexToJson, type JSONValue, type Value } from "convex/values";
import type { DatabaseSchemaJson } from "./analyze";
import { tableNameFromId } from "./convex-test-internals";
import type { Route } from "./deploy-api";
import type { Engine } from "./engine";
import {
  ImportProblem,
  parseCsv,
  parseJsonArray,
  parseJsonLines,
  parseStorageMetadata,
  renderTableChanges,
  STORAGE_TABLE,
  TABLES_TABLE,
  tableNameProblem,
  type StorageMetadata,
} from "./snapshot-format";
import type { FileStorage } from "./storage";
import { checkValue, ValidationFailure, type ValidatorJson } from "./validators";
import { InvalidZip, readZip } from "./zip";

export const IMPORTS_TABLE = "_snapshot_imports";
/** The most one upload may hold (this backend keeps it, and then the whole database, in memory). */
const MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;
/** The CLI splits a file into fewer than 10,000 parts. */
const MAX_PARTS = 10_000;
const MAX_OPEN_UPLOADS = 16;
/** An upload not finished within this time is dropped when another starts. */
const UPLOAD_TTL_MS = 60 * 60 * 1000;
const ERROR_PREFIX = "Hit an error while importing:\n";
const CONFIRM_NOTE =
  "Once the import has started, it will run in the background.\nInterrupting `npx convex import` will not cancel it.";
/** The ids of `_storage` rows this backend makes. */
const STORAGE_ID = /^[0-9]+_storage$/;

type ImportFormat = "csv" | "jsonLines" | "jsonArray" | "zip";
type ImportMode = "requireEmpty" | "append" | "replace" | "replaceAll";
const FORMATS: Record<ImportFormat, { serialized: string; name: string }> = {
  csv: { serialized: "csv", name: "CSV" },
  jsonLines: { serialized: "jsonl", name: "JSONL" },
  jsonArray: { serialized: "json_array", name: "JSON" },
  zip: { serialized: "zip", name: "ZIP" },
};
/** How a deployment spells each mode in `_snapshot_imports` (ImportMode's Display). */
const MODE_NAMES: Record<ImportMode, string> = {
  requireEmpty: "RequireEmpty",
  append: "Append",
  replace: "Replace",
  replaceAll: "ReplaceAll",
};

type Document = Record<string, Value>;

/** What a file holds, parsed. */
type ParsedImport = {
  format: ImportFormat;
  /** Documents by table, in file order; a table `_tables` lists without documents has none. */
  tables: Map<string, Document[]>;
  /** A ZIP's `_storage`: its metadata lines and the files by id (null when the ZIP has no `_storage/documents.jsonl`). */
  storage: { metadata: StorageMetadata[]; files: Map<string, Buffer> } | null;
};

type Upload = { parts: Map<string, Buffer>; size: number; startedAt: number };

/** A refusal answered over HTTP: `{ code, message }` with a deployment's status. */
class ImportRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function utf8(bytes: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw new ImportProblem("NotUtf8", `Import wasn't valid UTF8: ${(error as Error).message}`);
  }
}

/** `<prefix>/<table>/<file>` of a ZIP entry, with any number of leading folders (as a deployment reads them). */
const DOCUMENTS_ENTRY = /^(.*\/)?([^/]+)\/documents\.jsonl$/;
const GENERATED_SCHEMA_ENTRY = /^(.*\/)?([^/]+)\/generated_schema\.jsonl$/;
const STORAGE_FILE_ENTRY = /^(.*\/)?_storage\/([^/.]+)(?:\.[^/]+)?$/;

function checkAppTable(entry: string, prefix: string | undefined, table: string): void {
  if (prefix !== undefined && /(^|\/)_components\//.test(prefix)) {
    throw new ImportProblem(
      "ComponentsNotSupported",
      `${entry} belongs to a component: the local Convex server imports the app's own tables only`,
    );
  }
  const problem = tableNameProblem(table);
  if (problem !== null) throw new ImportProblem("InvalidTableName", `table name '${table}' invalid: ${problem}`);
}

/** Reads a ZIP snapshot: each table's documents, `_tables`, and `_storage` (crates/application/src/snapshot_import/parse.rs). */
function parseZip(bytes: Buffer): ParsedImport {
  let entries;
  try {
    entries = readZip(bytes);
  } catch (error) {
    if (error instanceof InvalidZip) throw new ImportProblem("InvalidZip", `invalid zip file: ${error.message}`);
    throw error;
  }
  const uniform = new Set<string>();
  const documents: [string, string][] = [];
  const tables = new Map<string, Document[]>();
  let storageMetadata: StorageMetadata[] | null = null;
  const storageFiles = new Map<string, Buffer>();
  for (const entry of entries) {
    const schema = GENERATED_SCHEMA_ENTRY.exec(entry.name);
    if (schema !== null) {
      const [, prefix, table] = schema as unknown as [string, string | undefined, string];
      checkAppTable(entry.name, prefix, table);
      const firstLine = utf8(entry.read()).split("\n")[0] ?? "";
      if (firstLine.trim() !== '"uniform"') {
        throw new ImportProblem(
          "InvalidGeneratedSchema",
          `${entry.name} is in an older export format, which the local Convex server does not read: export the data again`,
        );
      }
      uniform.add(table);
      continue;
    }
    const match = DOCUMENTS_ENTRY.exec(entry.name);
    if (match !== null) {
      const [, prefix, table] = match as unknown as [string, string | undefined, string];
      checkAppTable(entry.name, prefix, table);
      if (table === STORAGE_TABLE) storageMetadata = parseStorageMetadata(utf8(entry.read()));
      else if (table === TABLES_TABLE) {
        for (const line of parseJsonLines(utf8(entry.read()), false)) {
          const name = line.name;
          if (typeof name !== "string" || typeof line.id !== "number") {
            throw new ImportProblem("InvalidConvexValue", "Every line of _tables needs a `name` and a numeric `id`");
          }
          const problem = tableNameProblem(name);
          if (problem !== null)
            throw new ImportProblem("InvalidName", `"${name}" isn't a valid table name: ${problem}`);
          if (documents.some(([listed]) => listed === name) || tables.has(name)) {
            throw new ImportProblem("DuplicateTableName", `\`_tables\` contains duplicate entries for \`${name}\``);
          }
          tables.set(name, []);
        }
      } else if (!table.startsWith("_")) {
        // Other system tables in a snapshot (`_scheduled_functions`, …) are skipped, as a deployment skips them.
        documents.push([table, entry.name]);
      }
      continue;
    }
    const file = STORAGE_FILE_ENTRY.exec(entry.name);
    if (file !== null && file[2] !== "documents") {
      checkAppTable(entry.name, file[1], STORAGE_TABLE);
      storageFiles.set(file[2]!, entry.read());
    }
  }
  for (const [table, name] of documents) {
    const entry = entries.find((candidate) => candidate.name === name)!;
    tables.set(table, [...(tables.get(table) ?? []), ...parseJsonLines(utf8(entry.read()), uniform.has(table))]);
  }
  return {
    format: "zip",
    tables,
    storage: storageMetadata === null ? null : { metadata: storageMetadata, files: storageFiles },
  };
}

function parseFile(bytes: Buffer, format: ImportFormat, table: string | null): ParsedImport {
  if (format === "zip") return parseZip(bytes);
  const rows =
    format === "csv"
      ? parseCsv(utf8(bytes))
      : format === "jsonArray"
        ? parseJsonArray(bytes)
        : parseJsonLines(utf8(bytes), false);
  return { format, tables: new Map([[table!, rows]]), storage: null };
}

/** The top-level fields a table's schema makes optional (for CSV cells left empty). */
function optionalFields(schema: DatabaseSchemaJson | null, table: string): Set<string> {
  const documentType = schema?.tables.find((t) => t.tableName === table)?.documentType ?? null;
  const objects: ValidatorJson[] =
    documentType === null ? [] : documentType.type === "union" ? documentType.value : [documentType];
  const fields = new Set<string>();
  for (const object of objects) {
    if (object.type !== "object") continue;
    for (const [name, field] of Object.entries(object.value)) if (field.optional) fields.add(name);
  }
  return fields;
}

/** Why a document breaks the table's schema, in a deployment's words (SchemaEnforcementError), or null. */
function schemaProblem(schema: DatabaseSchemaJson | null, table: string, document: Document): string | null {
  if (schema === null || !schema.schemaValidation) return null;
  const documentType = schema.tables.find((t) => t.tableName === table)?.documentType ?? null;
  if (documentType === null || documentType.type === "any") return null;
  const { _id, _creationTime, ...fields } = document;
  void _id;
  void _creationTime;
  try {
    checkValue(documentType, fields);
  } catch (error) {
    if (!(error instanceof ValidationFailure)) throw error;
    return `Failed to insert or update a document in table "${table}" because it does not match the schema: ${error.message}`;
  }
  return null;
}

/** Checks the `_id` and `_creationTime` a row brings; ids are kept only in this backend's own form. */
function checkSystemFields(table: string, document: Document, row: number): string | undefined {
  const { _id: id, _creationTime: creationTime } = document;
  if (creationTime !== undefined && (typeof creationTime !== "number" || !(creationTime > 0))) {
    throw new ImportProblem(
      "InvalidConvexValue",
      `Row ${row} wasn't a valid Convex value: _creationTime must be a positive number`,
    );
  }
  if (id === undefined) return undefined;
  if (typeof id !== "string") {
    throw new ImportProblem("InvalidId", `Row ${row} wasn't a valid Convex value: _id must be a string`);
  }
  const digits = /^[0-9]+/.exec(id)?.[0];
  if (digits === undefined || digits.length === id.length || !Number.isSafeInteger(Number(digits))) {
    throw new ImportProblem(
      "InvalidId",
      `invalid _id '${id}': the local Convex server keeps only ids it made itself (digits, then the table name). Leave \`_id\` out to import the rows with new ids.`,
    );
  }
  const named = tableNameFromId(id);
  if (named !== table) {
    throw new ImportProblem(
      "ImportConflict",
      `_id ${id} cannot be imported into '${table}' because it is the id of a document of table '${named}'`,
    );
  }
  return id;
}

export type SnapshotImportDeps = {
  engine: Engine;
  files: FileStorage;
  /** The app's schema as the live code enforces it. */
  schema: () => DatabaseSchemaJson | null;
  log: (line: string) => void;
};

export class SnapshotImports {
  private readonly uploads = new Map<string, Upload>();
  /** Each unfinished import's parsed file, by import id. */
  private readonly parsed = new Map<string, ParsedImport>();
  /** Parsing and importing, one import at a time (a deployment's import worker). */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: SnapshotImportDeps) {}

  /** Fails the imports an earlier run left unfinished: their files were in its memory. */
  async open(): Promise<void> {
    const stale = this.rows().filter((row) => {
      const state = isRecord(row.state) ? row.state.state : undefined;
      return state !== "completed" && state !== "failed";
    });
    if (stale.length === 0) return;
    await this.deps.engine.transaction(() => {
      for (const row of stale) {
        this.deps.engine.internals.tx.patch(IMPORTS_TABLE, String(row._id), {
          state: {
            state: "failed",
            error_message:
              "The local Convex server restarted before this import finished: run `npx convex import` again.",
          },
        });
      }
    });
  }

  /** Waits for the import under way, and takes no more. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  routes(): Record<string, Route> {
    return {
      "/api/import/start_upload": { method: "POST", raw: true, handle: () => Promise.resolve(this.startUpload()) },
      "/api/import/upload_part": {
        method: "POST",
        raw: true,
        limit: MAX_UPLOAD_BYTES,
        handle: (body, url) => Promise.resolve(this.uploadPart(url, body as Buffer)),
      },
      "/api/import/finish_upload": { method: "POST", handle: (body) => this.finishUpload(body) },
      "/api/perform_import": { method: "POST", handle: (body) => this.perform(body).then(() => null) },
      "/api/cancel_import": { method: "POST", handle: (body) => this.cancel(body).then(() => null) },
    };
  }

  /** `_system/cli/queryImport` (one import by id) and `:list` (the latest 20), as the CLI runs them. */
  systemQuery(udfPath: string, args: Record<string, Value>): { value: JSONValue; tables: string[] } | null {
    if (udfPath === "_system/cli/queryImport:default") {
      const id = typeof args.importId === "string" ? args.importId : "";
      const row = this.rows().find((candidate) => candidate._id === id) ?? null;
      return { value: row === null ? null : convexToJson(row), tables: [IMPORTS_TABLE] };
    }
    if (udfPath === "_system/cli/queryImport:list") {
      const latest = this.rows()
        .sort((a, b) => Number(b._creationTime) - Number(a._creationTime))
        .slice(0, 20);
      return { value: latest.map((row) => convexToJson(row)), tables: [IMPORTS_TABLE] };
    }
    return null;
  }

  // ——— upload ———

  private startUpload(): { uploadToken: string } {
    const now = Date.now();
    for (const [token, upload] of this.uploads) if (now - upload.startedAt > UPLOAD_TTL_MS) this.uploads.delete(token);
    if (this.uploads.size >= MAX_OPEN_UPLOADS) {
      throw new ImportRequestError(
        429,
        "TooManyUploads",
        "Too many imports are being uploaded at once; try again later.",
      );
    }
    const uploadToken = randomBytes(24).toString("base64url");
    this.uploads.set(uploadToken, { parts: new Map(), size: 0, startedAt: now });
    return { uploadToken };
  }

  private uploadPart(url: URL, bytes: Buffer): string {
    const upload = this.upload(url.searchParams.get("uploadToken"));
    const partNumber = Number(url.searchParams.get("partNumber"));
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
      throw new ImportRequestError(400, "InvalidPartNumber", `partNumber must be between 1 and ${MAX_PARTS}`);
    }
    if (upload.size + bytes.length > MAX_UPLOAD_BYTES) {
      throw new ImportRequestError(
        413,
        "ImportTooLarge",
        `The local Convex server imports files of up to ${MAX_UPLOAD_BYTES} bytes.`,
      );
    }
    const partToken = `${partNumber}.${createHash("sha256").update(bytes).digest("base64url")}`;
    const previous = upload.parts.get(partToken);
    upload.size += bytes.length - (previous?.length ?? 0);
    upload.parts.set(partToken, bytes);
    return partToken;
  }

  private upload(token: string | null | undefined): Upload {
    const upload = token === null || token === undefined ? undefined : this.uploads.get(token);
    if (upload === undefined) {
      throw new ImportRequestError(
        400,
        "InvalidUploadToken",
        "Unknown or expired upload token: upload the file again.",
      );
    }
    return upload;
  }

  private async finishUpload(body: unknown): Promise<{ importId: string }> {
    if (!isRecord(body) || !isRecord(body.import) || !Array.isArray(body.partTokens)) {
      throw new ImportRequestError(400, "BadRequest", "finish_upload takes `import`, `uploadToken` and `partTokens`");
    }
    const { format, table, mode } = this.importArgs(body.import);
    const upload = this.upload(typeof body.uploadToken === "string" ? body.uploadToken : null);
    const parts = body.partTokens.map((token) => {
      const part = typeof token === "string" ? upload.parts.get(token) : undefined;
      if (part === undefined)
        throw new ImportRequestError(400, "InvalidPartToken", "Unknown part token: upload the file again.");
      return part;
    });
    this.uploads.delete(body.uploadToken as string);
    const bytes = Buffer.concat(parts);
    const importId = await this.deps.engine.transaction(() =>
      this.deps.engine.internals.tx.insert(IMPORTS_TABLE, {
        state: { state: "uploaded" },
        format: table === null ? { format: FORMATS[format].serialized } : { format: FORMATS[format].serialized, table },
        mode: MODE_NAMES[mode],
        component_path: null,
        checkpoints: null,
        requestor: { type: "snapshotImport" },
      }),
    );
    this.enqueue(() => this.prepare(importId, bytes, format, table, mode));
    return { importId };
  }

  /** The `import` arguments of finish_upload, checked as a deployment checks them (parse_format_arg). */
  private importArgs(args: Record<string, unknown>): { format: ImportFormat; table: string | null; mode: ImportMode } {
    const format = args.format as ImportFormat;
    if (typeof format !== "string" || !(format in FORMATS)) {
      throw new ImportRequestError(400, "InvalidFormat", `Unknown import format ${JSON.stringify(args.format)}`);
    }
    const mode = (args.mode ?? "requireEmpty") as ImportMode;
    if (typeof mode !== "string" || !(mode in MODE_NAMES)) {
      throw new ImportRequestError(400, "InvalidMode", `Unknown import mode ${JSON.stringify(args.mode)}`);
    }
    if (typeof args.componentPath === "string" && args.componentPath !== "") {
      throw new ImportRequestError(
        400,
        "ComponentsNotSupported",
        `The local Convex server imports into the app's own tables only, not into component ${args.componentPath}.`,
      );
    }
    const table = typeof args.tableName === "string" ? args.tableName : null;
    if (format === "zip") {
      if (table !== null) throw new ImportRequestError(400, "InvalidName", "ZIP import cannot have table name");
    } else if (table === null) {
      throw new ImportRequestError(400, "InvalidName", `${FORMATS[format].name} import requires table name`);
    } else {
      const problem = tableNameProblem(table);
      if (problem !== null)
        throw new ImportRequestError(400, "ImportInvalidName", `invalid table name ${table}: ${problem}`);
    }
    return { format, table, mode };
  }

  // ——— the import ———

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue
      .then(job)
      .catch((error: unknown) => this.deps.log(`snapshot import: ${(error as Error).stack ?? String(error)}`));
  }

  /** Parses the file and asks for confirmation with the changes it makes (confirmation.rs). */
  private async prepare(
    importId: string,
    bytes: Buffer,
    format: ImportFormat,
    table: string | null,
    mode: ImportMode,
  ): Promise<void> {
    if (this.closed) return;
    let parsed: ParsedImport;
    let message: string;
    let requireConfirmation: boolean;
    try {
      parsed = parseFile(bytes, format, table);
      ({ message, requireConfirmation } = this.changes(parsed, mode));
    } catch (error) {
      await this.fail(importId, error);
      return;
    }
    this.parsed.set(importId, parsed);
    await this.setState(importId, {
      state: "waiting_for_confirmation",
      message_to_confirm: message,
      require_manual_confirmation: requireConfirmation,
    });
  }

  private changes(parsed: ParsedImport, mode: ImportMode): { message: string; requireConfirmation: boolean } {
    const { internals } = this.deps.engine;
    const tables = new Set(parsed.tables.keys());
    if (mode === "replaceAll") for (const name of internals.tables()) if (!name.startsWith("_")) tables.add(name);
    const changes = [...tables].sort(byCodePoint).map((name) => {
      const existing = internals.committedDocuments(name).length;
      if (mode === "requireEmpty" && existing > 0) throw this.tableExists(name);
      return {
        table: name,
        added: parsed.tables.get(name)?.length ?? 0,
        deleted: mode === "replace" || mode === "replaceAll" ? existing : 0,
        existing,
        unit: "",
      };
    });
    if (parsed.storage !== null) {
      const existing = internals.committedDocuments(STORAGE_TABLE).length;
      if (mode === "requireEmpty" && existing > 0) throw this.tableExists(STORAGE_TABLE);
      changes.push({
        table: STORAGE_TABLE,
        added: parsed.storage.metadata.length,
        deleted: mode === "replace" || mode === "replaceAll" ? existing : 0,
        existing,
        unit: " files",
      });
      changes.sort((a, b) => byCodePoint(a.table, b.table));
    }
    const lines = changes.length === 0 ? [] : ["Import change summary:", ...renderTableChanges(changes)];
    return {
      message: [...lines, CONFIRM_NOTE].join("\n"),
      requireConfirmation: changes.some((change) => change.deleted > 0),
    };
  }

  private tableExists(table: string): ImportProblem {
    return new ImportProblem(
      "TableExists",
      `Table ${table} already exists. Please choose a new table name or use replace/append modes.`,
    );
  }

  private async perform(body: unknown): Promise<void> {
    const row = this.importRow(body);
    // As a deployment: confirming an import that already started or ended changes nothing.
    if (!isRecord(row.state) || row.state.state !== "waiting_for_confirmation") return;
    const importId = String(row._id);
    await this.setState(importId, { state: "in_progress", progress_message: "Importing", checkpoint_messages: [] });
    const mode = Object.entries(MODE_NAMES).find(([, name]) => name === row.mode)?.[0] as ImportMode;
    this.enqueue(() => this.run(importId, mode));
  }

  private async cancel(body: unknown): Promise<void> {
    const row = this.importRow(body);
    const state = isRecord(row.state) ? row.state.state : undefined;
    if (state === "completed" || state === "failed") {
      throw new ImportRequestError(400, "CannotCancelImport", `Cannot cancel an import that has ${state}`);
    }
    this.parsed.delete(String(row._id));
    await this.setState(String(row._id), { state: "failed", error_message: "Import canceled" });
  }

  private importRow(body: unknown): Record<string, Value> {
    const importId = isRecord(body) ? body.importId : undefined;
    if (typeof importId !== "string" || tableNameFromId(importId) !== IMPORTS_TABLE) {
      throw new ImportRequestError(400, "InvalidImport", `invalid import id ${String(importId)}`);
    }
    const row = this.rows().find((candidate) => candidate._id === importId);
    if (row === undefined) throw new ImportRequestError(404, "ImportNotFound", `import ${importId} not found`);
    return row;
  }

  private async run(importId: string, mode: ImportMode): Promise<void> {
    const parsed = this.parsed.get(importId);
    this.parsed.delete(importId);
    // Canceled meanwhile, or the server is closing (the next start marks it failed).
    if (parsed === undefined || this.closed) return;
    try {
      const written = await this.write(parsed, mode);
      await this.setState(importId, {
        state: "completed",
        timestamp: this.deps.engine.internals.currentTs(),
        num_rows_written: BigInt(written),
      });
    } catch (error) {
      await this.fail(importId, error);
    }
  }

  /** Writes the parsed file in one transaction; the number of documents written (files not counted). */
  private async write(parsed: ParsedImport, mode: ImportMode): Promise<number> {
    const { engine, files } = this.deps;
    const staged = await this.stageFiles(parsed);
    let adopted: (() => void) | undefined;
    let written = 0;
    try {
      await engine.transaction(() => {
        const { internals } = engine;
        const schema = this.deps.schema();
        const tables = [...parsed.tables.keys()];
        for (const table of tables) {
          if (table.startsWith("_")) {
            throw new ImportProblem("InvalidTableName", `Invalid table name ${table} starts with metadata prefix '_'`);
          }
        }
        const touched = parsed.storage === null ? tables : [...tables, STORAGE_TABLE];
        if (mode === "requireEmpty") {
          for (const table of touched)
            if (internals.committedDocuments(table).length > 0) throw this.tableExists(table);
        }
        const cleared = new Set(mode === "replace" || mode === "replaceAll" ? touched : []);
        if (mode === "replaceAll")
          for (const table of internals.tables()) if (!table.startsWith("_")) cleared.add(table);
        for (const table of cleared) {
          for (const document of internals.committedDocuments(table)) internals.tx.delete(table, String(document._id));
        }

        for (const [table, rows] of parsed.tables) {
          const optional = parsed.format === "csv" ? optionalFields(schema, table) : new Set<string>();
          const seen = new Set<string>();
          rows.forEach((row, index) => {
            // A CSV cell left empty means "no value" for an optional field (remap_empty_string_by_schema).
            const document =
              optional.size === 0
                ? row
                : Object.fromEntries(
                    Object.entries(row).filter(([name, value]) => !(value === "" && optional.has(name))),
                  );
            const id = checkSystemFields(table, document, index + 1);
            if (id !== undefined) {
              if (seen.has(id)) {
                throw new ImportProblem("DuplicateId", `Objects in table "${table}" have duplicate _id fields`);
              }
              seen.add(id);
              if (internals.tx.get(table, id) !== null) {
                throw new ImportProblem(
                  "ImportConflict",
                  `A document with _id ${id} already exists in table "${table}"`,
                );
              }
            }
            const problem = schemaProblem(schema, table, document);
            if (problem !== null) throw new ImportProblem("SchemaEnforcementError", problem);
            internals.importDocument(table, document);
            written += 1;
          });
        }

        for (const file of staged) {
          if (internals.tx.get(STORAGE_TABLE, file.id) !== null) {
            throw new ImportProblem("ImportConflict", `A file with _id ${file.id} already exists in _storage`);
          }
          internals.importDocument(STORAGE_TABLE, file.row);
        }
        // Last: nothing after it may fail, as the files are then in place.
        adopted = files.adoptImported(staged);
      });
    } catch (error) {
      await files.discardStaged(staged.map((file) => file.staged));
      throw error;
    }
    adopted?.();
    return written;
  }

  /** Checks a ZIP's stored files against their metadata and writes them beside the stored ones. */
  private async stageFiles(
    parsed: ParsedImport,
  ): Promise<{ id: string; uuid: string | undefined; staged: string; row: Document }[]> {
    if (parsed.storage === null) return [];
    const metadata = new Map(parsed.storage.metadata.map((line) => [line._id, line]));
    const checked = [...parsed.storage.files].map(([id, bytes]) => {
      if (!STORAGE_ID.test(id) || !Number.isSafeInteger(Number(/^[0-9]+/.exec(id)![0]))) {
        throw new ImportProblem(
          "InvalidStorageId",
          `_storage id '${id}' invalid: the local Convex server keeps only file ids it made itself (digits, then _storage)`,
        );
      }
      const line = metadata.get(id);
      const sha256 = createHash("sha256").update(bytes).digest("base64");
      if (typeof line?.sha256 === "string" && Buffer.from(line.sha256, "base64").toString("base64") !== sha256) {
        throw new ImportProblem(
          "Sha256Mismatch",
          `Sha256 mismatch for _storage/${id}. Expected: ${line.sha256} Actual: ${sha256}`,
        );
      }
      const row: Document = {
        _id: id,
        ...(typeof line?._creationTime === "number" && { _creationTime: line._creationTime }),
        sha256,
        size: bytes.length,
        contentType: typeof line?.contentType === "string" ? line.contentType : null,
      };
      return { id, uuid: line?.internalId, bytes, row };
    });
    const staged: { id: string; uuid: string | undefined; staged: string; row: Document }[] = [];
    try {
      for (const { id, uuid, bytes, row } of checked)
        staged.push({ id, uuid, row, staged: await this.deps.files.stage(bytes) });
    } catch (error) {
      await this.deps.files.discardStaged(staged.map((file) => file.staged));
      throw error;
    }
    return staged;
  }

  // ——— `_snapshot_imports` ———

  private rows(): Record<string, Value>[] {
    return this.deps.engine.internals.committedDocuments(IMPORTS_TABLE);
  }

  private async setState(importId: string, state: Record<string, Value>): Promise<void> {
    await this.deps.engine.transaction(() =>
      this.deps.engine.internals.tx.patch(IMPORTS_TABLE, importId, { state: convexToJson(state) }),
    );
  }

  private async fail(importId: string, error: unknown): Promise<void> {
    if (!(error instanceof ImportProblem)) {
      this.deps.log(`snapshot import ${importId}: ${(error as Error).stack ?? String(error)}`);
    }
    this.parsed.delete(importId);
    await this.setState(importId, { state: "failed", error_message: ERROR_PREFIX + (error as Error).message });
  }
}
