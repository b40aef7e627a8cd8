/**
 * The formats of snapshot export and import, as a Convex deployment reads and writes them
 * (convex-backend crates/value/src/export.rs, crates/shape_inference/src/export_context.rs,
 * crates/application/src/snapshot_import/parse.rs, crates/exports/src; Convex docs "Data Import"):
 *
 * - A ZIP snapshot holds `<table>/documents.jsonl` (one document per line) beside
 *   `<table>/generated_schema.jsonl` saying `"uniform"`: values in the lossless export encoding,
 *   where an integer literal is an int64 (`12`), any other number a float64 (`12.0`, `1.5`), and
 *   bytes, NaN and infinities use the `{"$bytes": …}` / `{"$float": …}` forms. `_tables/documents.jsonl`
 *   lists the tables, `_storage/documents.jsonl` the files' metadata and `_storage/<id>[.ext]` their bytes.
 * - A file for one table (JSONL, a JSON array, CSV), or a ZIP table without that marker, is read as
 *   plain JSON: every number a float64, strings as strings; a CSV cell that parses as a number is one.
 */
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { MAX_ARRAY_LENGTH, MAX_NESTING, MAX_OBJECT_FIELDS } from "./values";

/** What a deployment writes at the root of every export (our words, the same purpose). */
export const SNAPSHOT_README = `# A Convex snapshot export

This ZIP file holds a snapshot of the tables of a Convex deployment (here, the local Convex
server). Each table's documents are lines of JSON in <table>/documents.jsonl; _tables lists the
tables, and _storage the stored files when the export included them.

Restore it with \`npx convex import <this file>\`. The format is described at
https://docs.convex.dev/database/import-export/export
`;

/** Tables whose documents a ZIP carries besides the app's own. */
export const TABLES_TABLE = "_tables";
export const STORAGE_TABLE = "_storage";
/** The marker of the lossless export encoding (GeneratedSchema::Uniform). */
export const UNIFORM_SCHEMA = '"uniform"\n';

/** A row of a file to import that is not one Convex accepts; the message names the row. */
export class ImportProblem extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_IDENTIFIER_LENGTH = 64;
const MAX_FIELD_NAME_LENGTH = 1024;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** Why `name` is not a table name (an identifier: letters, digits, `_`, not starting with a digit), or null. */
export function tableNameProblem(name: string): string | null {
  if (name === "") return "Identifier cannot be empty";
  if (!/^[A-Za-z_]/.test(name)) {
    return `Invalid first character ${JSON.stringify(name[0])} in ${name}: Identifiers must start with an alphabetic character or underscore`;
  }
  const bad = /[^A-Za-z0-9_]/.exec(name);
  if (bad !== null) {
    return `Identifier ${name} has invalid character ${JSON.stringify(bad[0])}: Identifiers can only contain alphanumeric characters or underscores`;
  }
  if (name.length > MAX_IDENTIFIER_LENGTH) {
    return `Identifier is too long (${name.length} > maximum ${MAX_IDENTIFIER_LENGTH})`;
  }
  if (/^_+$/.test(name)) return `Identifier ${name} cannot have exclusively underscores`;
  return null;
}

/** Why `name` is not a field name Convex accepts, or null (convex-backend sync_types identifier.rs). */
function fieldNameProblem(name: string): string | null {
  if (name.startsWith("$")) return `Field name ${name} starts with '$', which is reserved.`;
  const bad = /[^\x20-\x7e]/.exec(name);
  if (bad !== null) {
    return `Field name ${name} has invalid character ${JSON.stringify(bad[0])}: Field names can only contain non-control ASCII characters`;
  }
  if (name.length > MAX_FIELD_NAME_LENGTH) {
    return `Field name is too long (${name.length} > maximum ${MAX_FIELD_NAME_LENGTH})`;
  }
  return null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof ArrayBuffer);
}

// ——— writing ———

/** One value in the lossless export encoding (ConvexValue::export_clean_lossless). */
function exportValue(value: Value): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) return JSON.stringify(convexToJson(value));
      if (Object.is(value, -0)) return "-0.0";
      // A float64 keeps a fraction or an exponent, so it never reads back as an int64.
      return Number.isInteger(value) && Math.abs(value) < 1e21 ? `${value}.0` : JSON.stringify(value);
    case "boolean":
      return String(value);
    case "string":
      return JSON.stringify(value);
    default:
      break;
  }
  if (value instanceof ArrayBuffer) return JSON.stringify(convexToJson(value));
  if (Array.isArray(value)) return `[${value.map(exportValue).join(",")}]`;
  const fields = Object.entries(value as Record<string, Value | undefined>)
    .filter((entry): entry is [string, Value] => entry[1] !== undefined)
    .map(([key, field]) => `${JSON.stringify(key)}:${exportValue(field)}`);
  return `{${fields.join(",")}}`;
}

/** A document as one line of `documents.jsonl` (with its newline). */
export function exportLine(document: Record<string, Value>): string {
  return `${exportValue(document)}\n`;
}

// ——— reading ———

/** Checks a value read from JSON against Convex's limits and field names. */
function checkLimits(value: unknown, depth: number): void {
  if (depth > MAX_NESTING) throw new Error(`Value is too nested (more than ${MAX_NESTING} levels deep)`);
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY_LENGTH) {
      throw new Error(`Array length is too long (${value.length} > maximum length ${MAX_ARRAY_LENGTH})`);
    }
    for (const item of value) checkLimits(item, depth + 1);
  } else if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length > MAX_OBJECT_FIELDS) {
      throw new Error(`Object has too many fields (${keys.length} > maximum number ${MAX_OBJECT_FIELDS})`);
    }
    for (const key of keys) {
      const problem = key === "__proto__" ? "Field name __proto__ is not supported" : fieldNameProblem(key);
      if (problem !== null) throw new Error(problem);
      checkLimits(value[key], depth + 1);
    }
  }
}

/**
 * A parsed value, checked: plain JSON (every number a float64, as a deployment reads a file
 * without a generated schema), or what `parseUniform` made of the lossless encoding.
 */
function plainValue(json: unknown): Value {
  checkLimits(json, 0);
  return json as Value;
}

/** Parses one line of the lossless export encoding (GeneratedSchema::Uniform). */
function parseUniform(text: string): unknown {
  const reviver = (_key: string, value: unknown, context?: { source?: string }): unknown => {
    const source = context?.source;
    if (typeof value === "number" && source !== undefined && /^-?\d+$/.test(source)) {
      const integer = BigInt(source);
      // As serde_json: an integer literal outside i64 reads as a float.
      return integer >= I64_MIN && integer <= I64_MAX ? integer : value;
    }
    if (isPlainObject(value) && Object.keys(value).some((key) => key.startsWith("$"))) {
      return jsonToConvex(value as JSONValue);
    }
    return value;
  };
  return JSON.parse(text, reviver);
}

/** A row of a file to import as a document: an object whose top-level `_` fields are `_id` and `_creationTime`. */
function asDocument(value: unknown, row: number): Record<string, Value> {
  if (!isPlainObject(value)) throw new ImportProblem("NotAnObject", `Row ${row} wasn't an object`);
  for (const key of Object.keys(value)) {
    if (key.startsWith("_") && key !== "_id" && key !== "_creationTime") {
      throw new ImportProblem(
        "InvalidConvexValue",
        `Row ${row} wasn't a valid Convex value: Field '${key}' starts with an underscore, which is only allowed for system fields like '_id'`,
      );
    }
  }
  return value as Record<string, Value>;
}

/** Converts one parsed row, naming the row in any failure. */
function documentOf(row: number, convert: () => unknown): Record<string, Value> {
  let value: unknown;
  try {
    value = convert();
  } catch (error) {
    if (error instanceof ImportProblem) throw error;
    throw new ImportProblem(
      "InvalidConvexValue",
      `Row ${row} wasn't a valid Convex value: ${(error as Error).message}`,
    );
  }
  return asDocument(value, row);
}

/** The lines of a JSONL text; a final newline ends the last line rather than starting an empty one. */
function jsonLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * The documents of a JSONL text: plain JSON, or the lossless export encoding when the table came
 * with the `"uniform"` marker.
 */
export function parseJsonLines(text: string, uniform: boolean): Record<string, Value>[] {
  if (text.startsWith("\uFEFF")) {
    throw new ImportProblem("Utf8BomNotSupported", "UTF-8 BOM is not supported. Please save your file without BOM.");
  }
  return jsonLines(text).map((line, index) => {
    const row = index + 1;
    let parsed: unknown;
    try {
      parsed = uniform ? parseUniform(line) : JSON.parse(line);
    } catch (error) {
      if (error instanceof SyntaxError) {
        throw new ImportProblem("JsonInvalidRow", `Row ${row} wasn't valid JSON: ${error.message}`);
      }
      throw new ImportProblem(
        "InvalidConvexValue",
        `Row ${row} wasn't a valid Convex value: ${(error as Error).message}`,
      );
    }
    return documentOf(row, () => plainValue(parsed));
  });
}

/** TRANSACTION_MAX_USER_WRITE_SIZE_BYTES: the largest JSON array a deployment imports. */
const MAX_JSON_ARRAY_BYTES = 16 * 1024 * 1024;

/** The documents of a JSON array. */
export function parseJsonArray(bytes: Buffer): Record<string, Value>[] {
  if (bytes.length > MAX_JSON_ARRAY_BYTES) {
    throw new ImportProblem(
      "JsonArrayTooLarge",
      `Import is too large for JSON (${bytes.length} bytes > maximum 16 MiB). Consider converting data to JSONLines`,
    );
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new ImportProblem("Utf8BomNotSupported", "UTF-8 BOM is not supported. Please save your file without BOM.");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new ImportProblem("NotJson", `Not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new ImportProblem("NotJsonArray", "Not a JSON array");
  return parsed.map((item, index) => documentOf(index + 1, () => plainValue(item)));
}

/** The records of a CSV text (RFC 4180: quoted fields, `""` inside quotes, CRLF or LF); empty lines are skipped. */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let fieldStarted = false;
  const endRecord = () => {
    if (fieldStarted || record.length > 0) {
      record.push(field);
      records.push(record);
    }
    record = [];
    field = "";
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
      fieldStarted = true;
    } else if (c === ",") {
      record.push(field);
      field = "";
      fieldStarted = true;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRecord();
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted)
    throw new ImportProblem(
      "CsvInvalidRow",
      `Failed to parse CSV row ${records.length + 1}: unterminated quoted field`,
    );
  endRecord();
  return records;
}

/** A CSV cell as a deployment reads it: a number when it parses as one (Rust's f64 syntax), else a string. */
function csvCell(cell: string): JSONValue {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell)) return Number(cell);
  // Rust parses these as infinities or NaN, which serde_json writes as null.
  if (/^[+-]?(inf|infinity|nan)$/i.test(cell)) return null;
  return cell;
}

/** The documents of a CSV file with a header row naming the fields. */
export function parseCsv(text: string): Record<string, Value>[] {
  const records = csvRecords(text.startsWith("\uFEFF") ? text.slice(1) : text);
  const header = records.shift();
  if (header === undefined) throw new ImportProblem("CsvMissingHeaders", "CSV file doesn't have headers");
  const fields = header.map((name) => {
    const trimmed = name.replace(/^ +| +$/g, "");
    const problem = fieldNameProblem(trimmed);
    if (problem !== null) {
      throw new ImportProblem(
        "CsvInvalidHeader",
        `CSV header ${JSON.stringify(trimmed)} isn't a valid field name: ${problem}`,
      );
    }
    return trimmed;
  });
  return records.map((cells, index) => {
    const row = index + 1;
    if (cells.length !== fields.length) {
      throw new ImportProblem("CsvRowMissingFields", `CSV row ${row} doesn't have all of the fields in the header`);
    }
    const object: Record<string, JSONValue> = {};
    fields.forEach((name, i) => (object[name] = csvCell(cells[i]!)));
    return documentOf(row, () => plainValue(object));
  });
}

/** The metadata line of a stored file in `_storage/documents.jsonl` (FileStorageZipMetadata). */
export type StorageMetadata = {
  _id: string;
  _creationTime?: number;
  sha256?: string;
  size?: number;
  contentType?: string | null;
  internalId?: string;
};

export function parseStorageMetadata(text: string): StorageMetadata[] {
  return jsonLines(text).map((line, index) => {
    const row = index + 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new ImportProblem("JsonInvalidRow", `Row ${row} wasn't valid JSON: ${(error as Error).message}`);
    }
    const invalid = (why: string) =>
      new ImportProblem("InvalidConvexValue", `Row ${row} wasn't a valid Convex value: ${why}`);
    if (!isPlainObject(parsed) || typeof parsed._id !== "string") throw invalid("missing field `_id`");
    const optional = (field: string, type: string) => {
      const value = parsed[field];
      if (value !== undefined && value !== null && typeof value !== type)
        throw invalid(`invalid type for \`${field}\``);
    };
    optional("_creationTime", "number");
    optional("sha256", "string");
    optional("size", "number");
    optional("contentType", "string");
    optional("internalId", "string");
    return parsed as StorageMetadata;
  });
}

/** The extension a file is given in `_storage/` of an export (a guess from its type, only for people looking). */
export function extensionFor(contentType: string | null): string {
  const known: Record<string, string> = {
    "application/json": ".json",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "audio/mpeg": ".mp3",
    "image/gif": ".gif",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/svg+xml": ".svg",
    "image/webp": ".webp",
    "text/csv": ".csv",
    "text/html": ".html",
    "text/plain": ".txt",
    "video/mp4": ".mp4",
  };
  const essence = contentType?.split(";")[0]?.trim().toLowerCase();
  return (essence !== undefined && known[essence]) || "";
}

/** 1234567 → "1,234,567" (the thousands separators of a deployment's messages). */
export function withCommas(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** The table of changes an import asks to confirm (convex-backend snapshot_import/table_change.rs). */
export function renderTableChanges(
  changes: { table: string; added: number; deleted: number; existing: number; unit: string }[],
): string[] {
  const rows: [string, string, string][] = [
    ["table", "create", "delete"],
    ...changes.map(({ table, added, deleted, existing, unit }): [string, string, string] => [
      table,
      withCommas(added),
      `${withCommas(deleted)} of ${withCommas(existing)}${unit}`,
    ]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines: string[] = [];
  rows.forEach((row, i) => {
    lines.push(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`);
    if (i === 0) lines.push("-".repeat(widths[0]! + 3 + widths[1]! + 3 + widths[2]! + 2));
  });
  return lines;
}
