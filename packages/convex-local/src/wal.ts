/**
 * The write-ahead log: every commit's writes, appended to `wal-<n>.log` in the data directory
 * before the commit is acknowledged, as a deployment writes a commit to its persistence before
 * publishing it (convex-backend crates/database/src/committer.rs). A write the operating system has
 * taken survives the process being killed (`kill -9`); with `fsync` each is also flushed to the
 * disk (O_DSYNC) first, so it survives the machine crashing, at the cost of a flush per
 * acknowledgement.
 *
 * Commits that arrive while a write is under way go out together in the next one (group commit),
 * so one flush to disk covers every commit that was waiting. Records leave in commit order and a
 * commit counts as durable only once every commit before it is, so whatever a crash leaves on disk
 * is a prefix of the commits: a multi-document mutation is there whole or not at all.
 *
 * A file is a header record and then one record per commit, each framed as
 * `u32 length | u32 CRC-32 | JSON` (little-endian), then zeros: files are filled ahead of the
 * records. Reading stops at the first record whose length or checksum does not hold. Zeros after it
 * are room not used yet; anything else, in the newest file, is a write the process was killed in
 * the middle of, never acknowledged, and dropped; in an older file (complete and flushed before the
 * next one was begun) it is damage, and the log is refused rather than replayed with a hole in it.
 *
 * Files hold records in `seq` order; `n` in the name is the first seq a file was begun for. A
 * checkpoint (`Persistence.checkpoint`) begins a new file, writes a snapshot that covers the old
 * ones, then deletes them.
 */
import {
  closeSync,
  constants,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
  writevSync,
  writev,
} from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import type { CommittedWrites } from "./convex-test-internals";

export type LogRecord = CommittedWrites & { seq: number };

const FORMAT = 1;
const HEADER = JSON.stringify({ log: "convex-local write-ahead log", format: FORMAT });
const FRAME_BYTES = 8;
/** A length past this is no record this server wrote (a garbled length field). */
const MAX_RECORD_BYTES = 1 << 30;
const FILE_NAME = /^wal-(\d+)\.log$/;
const FILE_MODE = 0o600;
/**
 * Files are filled with zeros ahead of the records, this much at a time: a flush that overwrites
 * blocks already allocated has no file size to record, so it costs one disk flush and no journal
 * commit (the second is what makes an appending flush slow when the disk is busy).
 */
const PREALLOCATE_BYTES = 1024 * 1024;

/** The log file that begins at `seq`. */
export function logFileName(seq: number): string {
  return `wal-${String(seq).padStart(12, "0")}.log`;
}

/** The data directory's log files, oldest first. */
export function logFiles(dataDir: string): string[] {
  return readdirSync(dataDir)
    .map((name) => ({ name, match: FILE_NAME.exec(name) }))
    .filter((entry) => entry.match !== null)
    .sort((a, b) => Number(a.match![1]) - Number(b.match![1]))
    .map((entry) => path.join(dataDir, entry.name));
}

/** One framed record. */
export function encodeRecord(payload: string): Buffer {
  const length = Buffer.byteLength(payload);
  const frame = Buffer.allocUnsafe(FRAME_BYTES + length);
  frame.writeUInt32LE(length, 0);
  frame.write(payload, FRAME_BYTES, "utf8");
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_BYTES)), 4);
  return frame;
}

/** The payloads of the whole records at the start of `bytes`, and where the first bad one begins. */
function decodeRecords(bytes: Buffer): { payloads: string[]; end: number } {
  const payloads: string[] = [];
  let offset = 0;
  while (offset + FRAME_BYTES <= bytes.length) {
    const length = bytes.readUInt32LE(offset);
    const start = offset + FRAME_BYTES;
    // No record is empty: zeros are a file extended but never written (a crash of the machine).
    if (length === 0 || length > MAX_RECORD_BYTES || start + length > bytes.length) break;
    const payload = bytes.subarray(start, start + length);
    if (crc32(payload) !== bytes.readUInt32LE(offset + 4)) break;
    payloads.push(payload.toString("utf8"));
    offset = start + length;
  }
  return { payloads, end: offset };
}

function isRecord(value: unknown): value is LogRecord {
  const record = value as Partial<LogRecord> | null;
  return (
    typeof record === "object" &&
    record !== null &&
    Number.isSafeInteger(record.seq) &&
    typeof record.ts === "string" &&
    Array.isArray(record.writes) &&
    typeof record.nextDocId === "number" &&
    typeof record.lastCreationTime === "number"
  );
}

function refuse(file: string, what: string): Error {
  return new Error(
    `${file} ${what}. Move the data directory's wal-*.log files away to start from what was read before it, ` +
      "or start with --reset to begin with an empty database.",
  );
}

/**
 * The records of every log file after `afterSeq` (those before are in the snapshot already; null:
 * from the first one), in order. Throws, naming the file, for a log of another format and for
 * damage before the newest file's tail; reports a torn tail through `warn`.
 */
export function readLog(dataDir: string, afterSeq: number | null, warn: (line: string) => void): LogRecord[] {
  const files = logFiles(dataDir);
  const records: LogRecord[] = [];
  let expected = afterSeq === null ? null : afterSeq + 1;
  files.forEach((file, index) => {
    const newest = index === files.length - 1;
    const bytes = readFileSync(file);
    const { payloads, end } = decodeRecords(bytes);
    const [header, ...rest] = payloads;
    if (header === undefined) {
      // Killed while the file was being begun: nothing was written to it.
      if (newest) return;
      throw refuse(file, "has no readable header, and newer log files follow it");
    }
    if (header !== HEADER) {
      throw refuse(file, "was not written by this version of the local Convex server");
    }
    for (const payload of rest) {
      let record: unknown;
      try {
        record = JSON.parse(payload);
      } catch {
        record = undefined;
      }
      if (!isRecord(record)) throw refuse(file, "holds a record this server did not write");
      expected ??= record.seq;
      if (record.seq < expected) continue;
      if (record.seq !== expected) throw refuse(file, `is missing commits ${expected} to ${record.seq - 1}`);
      records.push(record);
      expected += 1;
    }
    // Zeros after the last record are the file's room to grow.
    if (bytes.subarray(end).some((byte) => byte !== 0)) {
      if (!newest) throw refuse(file, `is damaged at byte ${end}, and newer log files follow it`);
      warn(
        `local Convex server: dropped what follows byte ${end} of ${file}: a commit the server was ` +
          "stopped in the middle of writing, never acknowledged.",
      );
    }
  });
  return records;
}

/** Makes a file's directory entry durable (after creating, renaming or deleting it). */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

type Waiter = { seq: number; resolve: () => void; reject: (error: Error) => void };
type Rotation = { rotate: number; done: () => void; failed: (error: Error) => void };
type Entry = { seq: number; frame: Buffer } | Rotation;

const DONE = Promise.resolve();

/** The log being written: appends, flushes in groups, and begins new files for checkpoints. */
export class WriteAheadLog {
  private fd: number;
  private file: string;
  /** Where the next record goes, and how far the file is filled with zeros. */
  private offset: number;
  private allocated: number;
  /** The seq the file being written was begun for. */
  private fileSeq: number;
  /** Files older than the one being written, still on disk until a snapshot covers them. */
  private older: string[] = [];
  private readonly queue: Entry[] = [];
  private writing = false;
  private appended: number;
  private durableSeq: number;
  private readonly waiters: Waiter[] = [];
  private failure: Error | undefined;
  private closed = false;
  /** Bytes of records in the file being written (the header aside). */
  bytes = 0;

  /** Begins a new file for the records after `lastSeq`. */
  constructor(
    private readonly dataDir: string,
    lastSeq: number,
    private readonly onFailure: (error: Error) => void,
    private readonly fsync = false,
  ) {
    this.appended = lastSeq;
    this.durableSeq = lastSeq;
    this.fileSeq = lastSeq + 1;
    this.file = path.join(dataDir, logFileName(this.fileSeq));
    ({ fd: this.fd, offset: this.offset, allocated: this.allocated } = this.begin(this.file));
  }

  /** The seq of the last commit appended. */
  get lastSeq(): number {
    return this.appended;
  }

  /** Whether anything was appended since the file being written was begun. */
  get hasRecords(): boolean {
    return this.bytes > 0 || this.queue.some((entry) => !("rotate" in entry));
  }

  /** Adds a commit and starts writing it at once (or with the next group, if a write is under way). */
  append(commit: CommittedWrites): void {
    if (this.closed || this.failure !== undefined) return;
    const seq = this.appended + 1;
    this.appended = seq;
    const record: LogRecord = { seq, ...commit };
    this.queue.push({ seq, frame: encodeRecord(JSON.stringify(record)) });
    this.pump();
  }

  /** Whether every commit appended so far is on disk (and the log has not failed). */
  get isDurable(): boolean {
    return this.failure === undefined && this.durableSeq >= this.appended;
  }

  /** Resolves once every commit appended so far is on disk; rejects if the log could not be written. */
  durable(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.durableSeq >= this.appended) return DONE;
    return new Promise((resolve, reject) => this.waiters.push({ seq: this.appended, resolve, reject }));
  }

  /**
   * Begins a new file for the commits appended from now on, once the current one is written. The
   * files before it stay until `removeOlder()`.
   */
  rotate(): Promise<void> {
    // A log that failed takes nothing more; a snapshot may still cover what it could not write.
    if (this.failure !== undefined) return DONE;
    return new Promise((done, failed) => {
      this.queue.push({ rotate: this.appended + 1, done, failed });
      this.pump();
    });
  }

  /** Writes what is queued, then closes the file; later appends are not written. */
  async close(): Promise<void> {
    await this.durable().catch(() => {});
    this.closed = true;
    closeSync(this.fd);
  }

  /** Deletes the files before the current one: call once a durable snapshot covers them. */
  removeOlder(): void {
    for (const file of this.older.splice(0)) rmSync(file, { force: true });
    syncDirectory(this.dataDir);
  }

  /** Deletes the current file, once closed and covered by a snapshot. */
  removeCurrent(): void {
    rmSync(this.file, { force: true });
    syncDirectory(this.dataDir);
  }

  /** Creates `file` with its header, filled with zeros ahead; the records go at `offset`. */
  private begin(file: string): { fd: number; offset: number; allocated: number } {
    const fd = openSync(
      file,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (this.fsync ? constants.O_DSYNC : 0),
      FILE_MODE,
    );
    const header = encodeRecord(HEADER);
    const filled = Buffer.alloc(PREALLOCATE_BYTES);
    header.copy(filled);
    try {
      for (let at = 0; at < filled.length;) at += writeSync(fd, filled, at, filled.length - at, at);
      syncDirectory(this.dataDir);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return { fd, offset: header.length, allocated: filled.length };
  }

  private pump(): void {
    if (this.writing || this.failure !== undefined) return;
    const first = this.queue[0];
    if (first === undefined) return;
    if ("rotate" in first) {
      this.queue.shift();
      try {
        // A file nothing was written to goes on.
        if (first.rotate !== this.fileSeq) {
          const file = path.join(this.dataDir, logFileName(first.rotate));
          const { fd, offset, allocated } = this.begin(file);
          closeSync(this.fd);
          this.older.push(this.file);
          this.fd = fd;
          this.offset = offset;
          this.allocated = allocated;
          this.file = file;
          this.fileSeq = first.rotate;
          this.bytes = 0;
        }
        first.done();
      } catch (error) {
        first.failed(error as Error);
      }
      this.pump();
      return;
    }
    // Everything waiting up to the next rotation, in one write.
    const frames: Buffer[] = [];
    let last = first.seq;
    let length = 0;
    while (this.queue.length > 0 && !("rotate" in this.queue[0]!)) {
      const entry = this.queue.shift() as { seq: number; frame: Buffer };
      frames.push(entry.frame);
      length += entry.frame.length;
      last = entry.seq;
    }
    const position = this.offset;
    const end = position + length;
    // Past the zeros: the same write fills the next stretch.
    if (end > this.allocated) {
      const allocated = Math.ceil(end / PREALLOCATE_BYTES) * PREALLOCATE_BYTES + PREALLOCATE_BYTES;
      frames.push(Buffer.alloc(allocated - end));
      this.allocated = allocated;
    }
    this.offset = end;
    const written = () => {
      this.bytes += length;
      this.durableSeq = last;
      while (this.waiters.length > 0 && this.waiters[0]!.seq <= last) this.waiters.shift()!.resolve();
      this.pump();
    };
    if (!this.fsync) {
      // Handing the bytes to the operating system takes microseconds: done here, in the commit, so
      // nothing waits for a round trip through libuv's thread pool.
      try {
        writeAllSync(this.fd, frames, position);
      } catch (error) {
        return this.fail(error as Error);
      }
      return written();
    }
    this.writing = true;
    writeAll(this.fd, frames, position, (error) => {
      this.writing = false;
      if (error !== null) return this.fail(error);
      written();
    });
  }

  /** A write that failed may have left part of a record: nothing after it can be acknowledged. */
  private fail(error: Error): void {
    this.failure = new Error(`Could not write ${this.file}: ${error.message}`);
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
    for (const entry of this.queue.splice(0)) if ("rotate" in entry) entry.failed(this.failure);
    this.onFailure(this.failure);
  }
}

/** `writevSync` at `position` until every byte is written. */
function writeAllSync(fd: number, buffers: Buffer[], position: number): void {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    let bytes = writevSync(fd, rest, at);
    if (bytes === 0) throw new Error("the disk accepted no more bytes");
    at += bytes;
    const remaining: Buffer[] = [];
    for (const buffer of rest) {
      if (bytes >= buffer.length) {
        bytes -= buffer.length;
      } else {
        remaining.push(bytes > 0 ? buffer.subarray(bytes) : buffer);
        bytes = 0;
      }
    }
    rest = remaining;
  }
}

/** `writev` at `position` until every byte is written (a file writes short only when it cannot go on). */
function writeAll(
  fd: number,
  buffers: Buffer[],
  position: number,
  done: (error: Error | null, written: number) => void,
): void {
  const total = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
  let written = 0;
  const next = (rest: Buffer[]) =>
    writev(fd, rest, position + written, (error, bytes) => {
      if (error !== null) return done(error, written);
      written += bytes;
      if (written >= total) return done(null, written);
      if (bytes === 0) return done(new Error("the disk accepted no more bytes"), written);
      let skip = bytes;
      const remaining: Buffer[] = [];
      for (const buffer of rest) {
        if (skip >= buffer.length) {
          skip -= buffer.length;
        } else {
          remaining.push(skip > 0 ? buffer.subarray(skip) : buffer);
          skip = 0;
        }
      }
      next(remaining);
    });
  next(buffers);
}
