/**
 * File storage as a Convex deployment serves it (convex-backend crates/local_backend/src/storage.rs,
 * crates/file_storage/src/core.rs, crates/keybroker/src/broker.rs; Convex docs "File Storage"):
 *
 * - `ctx.storage.generateUploadUrl()` gives `<deployment URL>/api/storage/upload?token=…`; a POST
 *   there stores the body (its Content-Type, and a `Digest: sha-256=…` it must match) and answers
 *   `{ storageId }`. A token is signed, not stored: valid for an hour, as often as it is used.
 * - `ctx.storage.getUrl(id)` gives `<deployment URL>/api/storage/<uuid>`, a random name of the file
 *   that is not derived from its id; a GET there serves it with its type, length and digest (one
 *   byte range too), 404 once the file is deleted.
 * - `store` and `get` in actions, `delete`, `getMetadata`, and the `_storage` system table
 *   (`sha256` in base64, `size`, `contentType`, null when none was given).
 *
 * The `_storage` rows live in the database (and its snapshot); each file's bytes live in
 * `<dataDir>/storage/<id>.<uuid>` (0600, the directory 0700). A file goes when the commit that
 * deleted its row lands. At start, files without a row (an upload the last run did not save) are
 * removed, and so are rows without a file (a delete the last run did not save).
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import {
  chmodSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Value } from "convex/values";
import type { Engine } from "./engine";
import { isLoopbackHost, misdirected, sendJson } from "./http-api";

const STORAGE_DIR = "storage";
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** STORE_FILE_AUTHORIZATION_VALIDITY in convex-backend's storage.rs. */
const UPLOAD_TOKEN_VALIDITY_S = 60 * 60;
/** MAX_CACHE_AGE in convex-backend's storage.rs: stored files never change. */
const CACHE_CONTROL = `private, max-age=${60 * 60 * 24 * 30}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** convex-test's ids of `_storage` rows: digits, then the table name. Nothing else names a file. */
const STORAGE_ID = /^[0-9]+_storage$/;
const FILE_NAME = /^([0-9]+_storage)\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const UPLOAD_PREFIX = ".upload-";

/** A `_storage` row as functions read it. */
type StoredFile = { sha256: string; size: number; contentType: string | null };

/** An error answered over HTTP as a deployment answers it: `{ code, message }`. */
class StorageProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type FileStorageOptions = {
  dataDir: string;
  engine: Engine;
  /** The deployment URL (`CONVEX_CLOUD_URL`): upload and file URLs are on it. */
  cloudUrl: string;
  /** A secret of the deployment (its admin key): upload tokens are signed with a key derived from it. */
  secret: string;
  log: (line: string) => void;
};

export class FileStorage {
  readonly dir: string;
  private readonly engine: Engine;
  private readonly cloudUrl: string;
  private readonly log: (line: string) => void;
  private readonly tokenKey: Buffer;
  /** The uuid of each file on disk, by `_storage` id. */
  private readonly uuids = new Map<string, string>();
  /** Committed files by uuid: what `/api/storage/<uuid>` serves. */
  private readonly served = new Map<string, StoredFile & { id: string }>();

  private constructor(options: FileStorageOptions) {
    this.dir = path.join(options.dataDir, STORAGE_DIR);
    this.engine = options.engine;
    this.cloudUrl = options.cloudUrl;
    this.log = options.log;
    this.tokenKey = createHmac("sha256", options.secret).update("convex-local file storage upload tokens").digest();
    mkdirSync(this.dir, { recursive: true, mode: DIR_MODE });
    chmodSync(this.dir, DIR_MODE);
  }

  /**
   * Takes over convex-test's storage syscalls and matches the files on disk with the `_storage`
   * rows of the restored database. Call before any function runs.
   */
  static async open(options: FileStorageOptions): Promise<FileStorage> {
    const storage = new FileStorage(options);
    const missing = storage.matchFilesWithRows();
    if (missing.length > 0) {
      await options.engine.transaction(() => {
        for (const id of missing) options.engine.internals.tx.delete("_storage", id);
      });
      options.log(
        `local Convex server: ${missing.length} file(s) in _storage had no bytes in ${storage.dir} (deleted before the last run saved them); their rows are removed`,
      );
    }
    storage.intercept();
    options.engine.onCommit((tables) => {
      if (tables.has("_storage")) storage.afterCommit();
    });
    return storage;
  }

  /** Serves `/api/storage/upload` and `/api/storage/<uuid>`; false for any other path. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const match = /^\/api\/storage\/([^/]+)$/.exec(url.pathname);
    if (match === null) return false;
    if (!isLoopbackHost(req.headers.host)) {
      misdirected(res);
      return true;
    }
    const cors = corsHeaders(req);
    try {
      if (req.method === "OPTIONS") {
        res.writeHead(200, preflightHeaders(req)).end();
      } else if (match[1] === "upload") {
        if (req.method !== "POST") throw methodNotAllowed(res, "POST");
        const storageId = await this.upload(req, url.searchParams.get("token"));
        sendJson(res, 200, { storageId }, cors);
      } else {
        if (req.method !== "GET" && req.method !== "HEAD") throw methodNotAllowed(res, "GET, HEAD");
        await this.serve(req, res, match[1]!, cors);
      }
    } catch (error) {
      // Whatever is left of an upload body is not read: close the connection after the answer.
      if (!req.complete && !res.headersSent) res.setHeader("connection", "close");
      if (error instanceof StorageProblem) {
        if (!res.headersSent) sendJson(res, error.status, { code: error.code, message: error.message }, cors);
        else res.destroy();
      } else if (!res.headersSent) {
        sendJson(
          res,
          500,
          { code: "InternalServerError", message: "Internal error in the local server; see its log." },
          cors,
        );
        this.log(`file storage: ${(error as Error).stack ?? String(error)}`);
      } else {
        res.destroy();
      }
    }
    return true;
  }

  // ——— syscalls ———

  private intercept(): void {
    const { internals } = this.engine;
    const json = (value: unknown) => JSON.stringify(value ?? null);
    const storageIdOf = (jsonArgs: string) => (JSON.parse(jsonArgs) as { storageId?: unknown }).storageId;
    internals.interceptAsyncSyscall("1.0/storageGenerateUploadUrl", () =>
      Promise.resolve(json(`${this.cloudUrl}/api/storage/upload?token=${this.issueToken()}`)),
    );
    internals.interceptAsyncSyscall("1.0/storageGetUrl", (jsonArgs) => {
      const found = this.lookup(storageIdOf(jsonArgs), "storage.getUrl");
      return Promise.resolve(json(found && `${this.cloudUrl}/api/storage/${found.uuid}`));
    });
    internals.interceptAsyncSyscall("1.0/storageGetMetadata", (jsonArgs) => {
      const found = this.lookup(storageIdOf(jsonArgs), "storage.getMetadata");
      // The deprecated FileMetadata: the uuid as `storageId`, and the digest in hex.
      return Promise.resolve(
        json(
          found && {
            storageId: found.uuid,
            sha256: Buffer.from(found.sha256, "base64").toString("hex"),
            size: found.size,
            contentType: found.contentType,
          },
        ),
      );
    });
    internals.interceptAsyncSyscall("1.0/storageDelete", async (jsonArgs) => {
      const storageId = storageIdOf(jsonArgs);
      await this.write(() => {
        const found = this.lookup(storageId, "storage.delete");
        if (found === null) throw new Error(`storage id ${String(storageId)} not found`);
        internals.tx.delete("_storage", found.id);
      });
      return json(null);
    });
    // Actions' `store` and `get` pass Blobs (mutations cannot store or read bytes on a deployment).
    internals.interceptJsSyscall("storage/storeBlob", async (args) => {
      const { blob, options } = args as { blob: unknown; options?: { sha256?: string } };
      if (!(blob instanceof Blob)) throw new Error("store() expects a Blob.");
      const bytes = Buffer.from(await blob.arrayBuffer());
      const expected = options?.sha256 === undefined ? null : parseDigest(`sha-256=${options.sha256}`);
      const temporary = this.temporaryFile();
      try {
        await writeFileOnce(temporary, bytes);
        return await this.add(temporary, {
          sha256: checkDigest(createHash("sha256").update(bytes).digest("base64"), expected),
          size: bytes.length,
          contentType: blob.type === "" ? null : blob.type,
        });
      } finally {
        await rm(temporary, { force: true });
      }
    });
    internals.interceptJsSyscall("storage/getBlob", async (args) => {
      const found = this.lookup(args.storageId, "storage.get");
      if (found === null) return null;
      const bytes = await readFile(this.fileOf(found.id, found.uuid)).catch(() => null);
      return bytes === null ? null : new Blob([bytes], { type: found.contentType ?? "" });
    });
  }

  /**
   * The file a function names by its `_storage` id (or by its uuid, the id before Convex 1.6), as
   * the calling transaction sees it; null when there is none.
   */
  private lookup(storageId: unknown, what: string): (StoredFile & { id: string; uuid: string }) | null {
    if (typeof storageId !== "string") throw new Error(`Invalid argument \`storageId\` for \`${what}\``);
    let id = storageId;
    if (UUID.test(storageId)) {
      const served = this.served.get(storageId.toLowerCase());
      if (served === undefined) return null;
      id = served.id;
    }
    // Read through the transaction: a query that asked is re-run when `_storage` changes.
    const row = this.engine.internals.tx.get("_storage", id);
    const uuid = this.uuids.get(id);
    return row === null || uuid === undefined ? null : { ...storedFile(row), id, uuid };
  }

  /** Runs `fn` in the caller's transaction, or in one of its own when called from an action. */
  private async write<T>(fn: () => T): Promise<T> {
    return this.engine.internals.inTransaction() ? fn() : await this.engine.transaction(fn);
  }

  // ——— HTTP ———

  private async upload(req: IncomingMessage, token: string | null): Promise<string> {
    if (token === null) throw new StorageProblem(400, "BadRequest", "Missing query parameter `token`");
    this.checkToken(token);
    const digest = req.headers.digest;
    const expected = digest === undefined ? null : parseDigest(Array.isArray(digest) ? digest.join(",") : digest);
    const contentType = req.headers["content-type"]?.trim() || null;
    const temporary = this.temporaryFile();
    try {
      const hash = createHash("sha256");
      let size = 0;
      const measure = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      await pipeline(req, measure, createWriteStream(temporary, { mode: FILE_MODE, flags: "wx" }));
      await chmod(temporary, FILE_MODE);
      const sha256 = checkDigest(hash.digest("base64"), expected);
      return await this.add(temporary, { sha256, size, contentType });
    } finally {
      await rm(temporary, { force: true });
    }
  }

  private async serve(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    cors: Record<string, string>,
  ): Promise<void> {
    if (!UUID.test(name)) {
      throw new StorageProblem(
        400,
        "InvalidStoragePath",
        `Invalid storage path: "${name}". Please use \`storage.getUrl(storageId: Id<"_storage">)\` to generate a valid URL to retrieve files. See https://docs.convex.dev/file-storage/serve-files for more details`,
      );
    }
    const file = this.served.get(name.toLowerCase());
    if (file === undefined) throw new StorageProblem(404, "FileNotFound", `File ${name} not found`);
    const headers: Record<string, string> = {
      ...cors,
      ...(file.contentType !== null && { "content-type": file.contentType }),
      "cache-control": CACHE_CONTROL,
      "accept-ranges": "bytes",
    };
    const range = parseRange(req.headers.range, file.size);
    if (range === "unsatisfiable") {
      res.writeHead(416, { ...headers, "content-range": `bytes */${file.size}` }).end();
      return;
    }
    const source = this.fileOf(file.id, name.toLowerCase());
    if (range === null) {
      res.writeHead(200, { ...headers, digest: `sha-256=${file.sha256}`, "content-length": String(file.size) });
    } else {
      res.writeHead(206, {
        ...headers,
        "content-range": `bytes ${range.start}-${range.end}/${file.size}`,
        "content-length": String(range.end - range.start + 1),
      });
    }
    if (req.method === "HEAD" || file.size === 0) {
      res.end();
      return;
    }
    await pipeline(createReadStream(source, range ?? {}), res);
  }

  // ——— upload tokens ———

  /** `<issued s>.<nonce>.<mac>`: checked by its signature, so it needs no state and survives restarts. */
  private issueToken(): string {
    const payload = `${Math.floor(Date.now() / 1000)}.${randomBytes(12).toString("base64url")}`;
    return `${payload}.${this.mac(payload)}`;
  }

  private checkToken(token: string): void {
    const parts = token.split(".");
    // Compared as text: decoding would let other spellings of the last base64 character through.
    const given = Buffer.from(parts[2] ?? "");
    const wanted = Buffer.from(this.mac(`${parts[0]}.${parts[1]}`));
    if (
      parts.length !== 3 ||
      !/^\d{1,12}$/.test(parts[0]!) ||
      given.length !== wanted.length ||
      !timingSafeEqual(given, wanted)
    ) {
      throw new StorageProblem(401, "StorageTokenInvalid", "Couldn't decode the StoreFileAuthorization token");
    }
    if (Number(parts[0]) + UPLOAD_TOKEN_VALIDITY_S <= Math.floor(Date.now() / 1000)) {
      throw new StorageProblem(401, "StorageTokenExpired", "Store File Authorization expired");
    }
  }

  private mac(payload: string): string {
    return createHmac("sha256", this.tokenKey).update(payload).digest("base64url");
  }

  // ——— files on disk ———

  private fileOf(id: string, uuid: string): string {
    return path.join(this.dir, `${id}.${uuid}`);
  }

  private temporaryFile(): string {
    return path.join(this.dir, `${UPLOAD_PREFIX}${randomUUID()}`);
  }

  /** Records a file written to `temporary` as a new `_storage` row; its id. */
  private async add(temporary: string, file: StoredFile): Promise<string> {
    const uuid = randomUUID();
    // Always a transaction of its own: an action's store is not part of a mutation it runs meanwhile.
    return await this.engine.transaction(() => {
      const id = this.engine.internals.tx.insert("_storage", file);
      renameSync(temporary, this.fileOf(id, uuid));
      this.uuids.set(id, uuid);
      return id;
    });
  }

  /**
   * After a commit that wrote `_storage`: files whose row it deleted go (from disk too), files it
   * added are served. (A row inserted by a transaction that rolled back goes the same way.)
   */
  private afterCommit(): void {
    for (const [id, uuid] of this.uuids) {
      const row = this.engine.internals.tx.get("_storage", id);
      if (row === null) {
        this.uuids.delete(id);
        this.served.delete(uuid);
        rmSync(this.fileOf(id, uuid), { force: true });
      } else if (!this.served.has(uuid)) {
        this.served.set(uuid, { ...storedFile(row), id });
      }
    }
  }

  // ——— snapshot export and import ———

  /** A committed file's bytes and uuid, for a snapshot export (read now, so a later delete cannot take them). */
  readCommitted(id: string): { uuid: string; bytes: Buffer } | null {
    const uuid = this.uuids.get(id);
    if (uuid === undefined) return null;
    try {
      return { uuid, bytes: readFileSync(this.fileOf(id, uuid)) };
    } catch {
      return null;
    }
  }

  /** Writes an imported file's bytes beside the stored ones, until `adoptImported` or `discardStaged`. */
  async stage(bytes: Buffer): Promise<string> {
    const staged = this.temporaryFile();
    await writeFileOnce(staged, bytes);
    return staged;
  }

  async discardStaged(staged: string[]): Promise<void> {
    await Promise.all(staged.map((file) => rm(file, { force: true })));
  }

  /**
   * Inside the importing transaction, once it wrote these files' `_storage` rows: the staged bytes
   * become the rows' files, under the uuid the snapshot gave (so their URLs stay) unless another
   * file has it. Returns what to run once the transaction committed: a file whose row was
   * replaced under another uuid goes, and each adopted file is served with its new metadata.
   */
  adoptImported(files: { id: string; uuid: string | undefined; staged: string }[]): () => void {
    const replaced: [string, string][] = [];
    const taken = new Set<string>();
    const adopted: [string, string][] = [];
    for (const { id, uuid: wanted, staged } of files) {
      const holder = wanted === undefined ? undefined : this.served.get(wanted.toLowerCase());
      const uuid =
        wanted !== undefined && UUID.test(wanted) && (holder === undefined || holder.id === id) && !taken.has(wanted)
          ? wanted.toLowerCase()
          : randomUUID();
      taken.add(uuid);
      const previous = this.uuids.get(id);
      if (previous !== undefined && previous !== uuid) replaced.push([id, previous]);
      renameSync(staged, this.fileOf(id, uuid));
      this.uuids.set(id, uuid);
      adopted.push([id, uuid]);
    }
    return () => {
      for (const [id, uuid] of replaced) {
        this.served.delete(uuid);
        rmSync(this.fileOf(id, uuid), { force: true });
      }
      const rows = new Map(this.engine.internals.committedDocuments("_storage").map((doc) => [String(doc._id), doc]));
      for (const [id, uuid] of adopted) {
        const row = rows.get(id);
        if (row !== undefined && this.uuids.get(id) === uuid) this.served.set(uuid, { ...storedFile(row), id });
      }
    };
  }

  /** Registers the files whose row exists, removes the others; the rows that have no file. */
  private matchFilesWithRows(): string[] {
    const rows = new Map(
      this.engine.internals.committedDocuments("_storage").map((row) => [String(row._id), row] as const),
    );
    for (const name of readdirSync(this.dir)) {
      const full = path.join(this.dir, name);
      const match = FILE_NAME.exec(name);
      if (name.startsWith(UPLOAD_PREFIX)) {
        rmSync(full, { force: true });
      } else if (match !== null) {
        const [, id, uuid] = match as unknown as [string, string, string];
        const row = rows.get(id);
        if (row === undefined) {
          rmSync(full, { force: true });
          continue;
        }
        chmodSync(full, FILE_MODE);
        this.uuids.set(id, uuid);
        this.served.set(uuid, { ...storedFile(row), id });
      }
    }
    return [...rows.keys()].filter((id) => STORAGE_ID.test(id) && !this.uuids.has(id));
  }
}

function storedFile(row: Record<string, Value>): StoredFile {
  return {
    sha256: String(row.sha256),
    size: Number(row.size),
    contentType: typeof row.contentType === "string" ? row.contentType : null,
  };
}

async function writeFileOnce(file: string, bytes: Buffer): Promise<void> {
  await writeFile(file, bytes, { mode: FILE_MODE, flag: "wx" });
  await chmod(file, FILE_MODE);
}

/** A `Digest: sha-256=<base64>` header's digest (convex-backend crates/common/src/sha256.rs). */
function parseDigest(header: string): string {
  const digest = /^sha-256=(.+)$/.exec(header.trim())?.[1];
  if (digest === undefined || Buffer.from(digest, "base64").length !== 32) {
    throw new StorageProblem(400, "BadHeader", `Bad header for Digest: ${header}`);
  }
  return Buffer.from(digest, "base64").toString("base64");
}

function checkDigest(actual: string, expected: string | null): string {
  if (expected !== null && expected !== actual) {
    throw new StorageProblem(400, "Sha256Mismatch", `Sha256 mismatch. Expected: ${expected} Actual: ${actual}`);
  }
  return actual;
}

/**
 * One `bytes=` range of a file of `size` bytes (Convex serves a single range); null for the whole
 * file (no header, one that does not parse, or an empty file), "unsatisfiable" for several ranges
 * or one outside the file.
 */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | "unsatisfiable" {
  if (header === undefined) return null;
  const spec = /^bytes=(.+)$/i.exec(header.trim())?.[1];
  if (spec === undefined) return null;
  const ranges = spec.split(",").map((part) => /^\s*(\d*)-(\d*)\s*$/.exec(part));
  if (ranges.some((range) => range === null || (range[1] === "" && range[2] === ""))) return null;
  if (size === 0) return null;
  if (ranges.length !== 1) return "unsatisfiable";
  const [, from, to] = ranges[0]!;
  let start: number;
  let end: number;
  if (from === "") {
    start = Math.max(0, size - Number(to));
    end = size - 1;
  } else {
    start = Number(from);
    end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  }
  return start > end || start >= size ? "unsatisfiable" : { start, end };
}

/** CORS as a deployment's API answers it: the request's origin mirrored, credentials allowed. */
function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  return origin === undefined
    ? {}
    : { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "origin" };
}

function preflightHeaders(req: IncomingMessage): Record<string, string> {
  const requested = req.headers["access-control-request-headers"];
  return {
    ...corsHeaders(req),
    "access-control-allow-methods": "GET,POST,OPTIONS,PATCH,DELETE,PUT",
    ...(requested !== undefined && { "access-control-allow-headers": requested }),
    "access-control-max-age": "86400",
  };
}

function methodNotAllowed(res: ServerResponse, allow: string): StorageProblem {
  res.setHeader("allow", allow);
  return new StorageProblem(405, "MethodNotAllowed", `This storage endpoint takes ${allow}`);
}
