/**
 * The local server's data on disk: a JSON snapshot of every committed document (`db.json`) and a
 * write-ahead log of the commits since (`wal-<n>.log`, see wal.ts). A commit is acknowledged only
 * once the log has it on disk; the log is replayed on top of the snapshot at start, and folded into
 * a new snapshot (written atomically and flushed: temporary file, fsync, rename) when it has grown
 * as large as the snapshot, after a quiet spell, and on shutdown.
 *
 * `ids.json` sits beside it and survives `--reset`: it keeps the id counter, so an id handed out
 * before a reset is never handed out again (a browser tab still holding one gets "not found", not
 * somebody else's row). Commit timestamps come from the clock and are kept strictly increasing by
 * the stored `lastCommitTs` (never by a client).
 *
 * The snapshot and the log hold every tenant's data: the directory is the owner's only (0700) and
 * so are the files (0600), whatever the umask.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { open, rename } from "node:fs/promises";
import path from "node:path";
import type { JSONValue } from "convex/values";
import type { CommittedWrites, EngineInternals, EngineSnapshot } from "./convex-test-internals";
import { logFiles, readLog, syncDirectory, WriteAheadLog, type LogRecord } from "./wal";

const SNAPSHOT_FILE = "db.json";
const IDS_FILE = "ids.json";
const FORMAT = 1;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** A stored clock further ahead than this was not set by this server's own commits. */
const MAX_CLOCK_LEAD_NS = 24n * 60n * 60n * 1_000_000_000n;
/** The log is folded into the snapshot once it is this large and as large as the snapshot. */
const CHECKPOINT_MIN_BYTES = 4 * 1024 * 1024;
/** ...or after this long without a commit, so a restart has little to replay. */
const QUIET_CHECKPOINT_MS = 30_000;

/** `walSeq`: the last logged commit the snapshot holds (absent before the log existed). */
type StoredSnapshot = EngineSnapshot & { format: number; savedAt: string; walSeq?: number };

export class Persistence {
  readonly file: string;
  private readonly idsFile: string;
  private log: WriteAheadLog | undefined;
  /** The last logged commit the stored data holds: the new log goes on from there. */
  private lastSeq = 0;
  private take: (() => EngineSnapshot) | undefined;
  private checkpoints: Promise<void> = Promise.resolve();
  private checkpointQueued = false;
  private snapshotBytes = 0;
  private quiet: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    readonly dataDir: string,
    private readonly warn: (line: string) => void = (line) => console.error(line),
    /** Flush each commit to the disk before it is acknowledged (see `WriteAheadLog`). */
    private readonly fsync = false,
  ) {
    this.file = path.join(dataDir, SNAPSHOT_FILE);
    this.idsFile = path.join(dataDir, IDS_FILE);
    mkdirSync(dataDir, { recursive: true, mode: DIR_MODE });
    // Made by an earlier version with the umask's modes: tighten them.
    chmodSync(dataDir, DIR_MODE);
    for (const file of [this.file, this.idsFile, ...logFiles(dataDir)]) {
      if (existsSync(file)) chmodSync(file, FILE_MODE);
    }
  }

  /** Forgets the documents (not the id counter, which the snapshot or the log may hold the latest of). */
  reset(): void {
    let floor = this.idFloor();
    try {
      const stored = JSON.parse(readFileSync(this.file, "utf8")) as { nextDocId?: unknown };
      if (typeof stored.nextDocId === "number") floor = Math.max(floor, stored.nextDocId);
    } catch {
      // No snapshot, or none this version reads: ids.json has the counter.
    }
    try {
      for (const record of readLog(this.dataDir, null, () => {})) floor = Math.max(floor, record.nextDocId);
    } catch {
      // A log this version cannot read: its ids were never this version's.
    }
    writeDurablySync(this.idsFile, JSON.stringify({ nextDocId: floor }));
    rmSync(this.file, { force: true });
    for (const file of logFiles(this.dataDir)) rmSync(file, { force: true });
    syncDirectory(this.dataDir);
  }

  /**
   * The stored data: the snapshot with the log replayed on top, or null when there is none yet. A
   * log that held commits is folded into a new snapshot and deleted. Throws, naming the file, when
   * the snapshot or the log is unreadable.
   */
  open(): EngineSnapshot | null {
    const stored = this.readSnapshot();
    const walSeq = stored?.walSeq ?? 0;
    const records = readLog(this.dataDir, walSeq, this.warn);
    const replayed = records.length === 0 ? stored : replay(stored, records);
    const lastSeq = records.at(-1)?.seq ?? walSeq;
    if (replayed !== null && records.length > 0) {
      const text = serialize(replayed, lastSeq)[0];
      writeDurablySync(this.file, text);
      this.snapshotBytes = Buffer.byteLength(text);
    } else if (stored !== null) {
      this.snapshotBytes = statSync(this.file).size;
    }
    const stale = logFiles(this.dataDir);
    for (const file of stale) rmSync(file, { force: true });
    if (stale.length > 0) syncDirectory(this.dataDir);
    this.lastSeq = lastSeq;
    return replayed === null ? null : { ...replayed, lastCommitTs: this.checkedClock(replayed.lastCommitTs) };
  }

  /** The stored snapshot as written, or null when there is none. */
  private readSnapshot(): (EngineSnapshot & { walSeq: number }) | null {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    let stored: Partial<StoredSnapshot>;
    try {
      stored = JSON.parse(text) as Partial<StoredSnapshot>;
    } catch {
      throw new Error(
        `${this.file} is not valid JSON. Move it away, or start with --reset to begin with an empty database.`,
      );
    }
    if (stored.format !== FORMAT || !Array.isArray(stored.documents) || typeof stored.lastCommitTs !== "string") {
      throw new Error(
        `${this.file} was not written by this version of the local Convex server. Start with --reset to begin again.`,
      );
    }
    return {
      documents: stored.documents,
      nextDocId: Number(stored.nextDocId ?? 0),
      lastCreationTime: Number(stored.lastCreationTime ?? 0),
      lastCommitTs: stored.lastCommitTs,
      walSeq: typeof stored.walSeq === "number" ? stored.walSeq : 0,
      ...(typeof stored.components === "object" && stored.components !== null && { components: stored.components }),
    };
  }

  /**
   * The stored commit clock, unless it is no clock this server could have reached (an older version
   * let a client push it to the end of the u64 range): then the clock starts again from now.
   */
  private checkedClock(stored: string): string {
    const now = BigInt(Date.now()) * 1_000_000n;
    if (/^\d{1,20}$/.test(stored) && BigInt(stored) <= now + MAX_CLOCK_LEAD_NS) return stored;
    this.warn(
      `local Convex server: the stored commit clock (${stored.slice(0, 24)}) is far ahead of this machine's; ` +
        "starting it from now. Pages that were open should be reloaded.",
    );
    return now.toString();
  }

  /** The lowest id counter the engine may use: never below anything handed out before, reset or not. */
  idFloor(): number {
    try {
      const { nextDocId } = JSON.parse(readFileSync(this.idsFile, "utf8")) as { nextDocId?: unknown };
      return typeof nextDocId === "number" ? nextDocId : 0;
    } catch {
      return 0;
    }
  }

  /**
   * Begins a new log and writes every commit of `engine` to it from now on (call after `open()` and
   * the restore, before it runs anything); folds the log into a snapshot of it from time to time.
   */
  follow(engine: Pick<EngineInternals, "onCommitWrites" | "snapshot">): void {
    this.log = new WriteAheadLog(
      this.dataDir,
      this.lastSeq,
      (error) =>
        this.warn(
          `local Convex server: ${error.message}. Commits are no longer acknowledged; ` +
            "stop the server, make room or fix the disk, and start it again.",
        ),
      this.fsync,
    );
    this.take = () => engine.snapshot();
    this.quiet = setTimeout(() => {
      if (this.log?.hasRecords === true) this.checkpointInBackground();
    }, QUIET_CHECKPOINT_MS);
    this.quiet.unref();
    engine.onCommitWrites((commit) => this.append(commit));
  }

  private append(commit: CommittedWrites): void {
    const log = this.log;
    // A timer convex-test set before the close may still run a function: it is not logged.
    if (log === undefined || this.stopped) return;
    log.append(commit);
    this.quiet?.refresh();
    if (!this.checkpointQueued && log.bytes >= Math.max(CHECKPOINT_MIN_BYTES, this.snapshotBytes)) {
      this.checkpointQueued = true;
      // After the committing function returns: a snapshot is the whole database.
      setImmediate(() => this.checkpointInBackground());
    }
  }

  /**
   * Resolves once every commit so far is on disk; rejects when the log could not be written.
   * Undefined when every commit is on disk already: most results ask with nothing to wait for, and
   * awaiting a settled promise still costs a turn and a promise of its own.
   */
  durable(): Promise<void> | undefined {
    const log = this.log;
    return log === undefined || log.isDurable ? undefined : log.durable();
  }

  private checkpointInBackground(): void {
    this.checkpoint().catch((error: unknown) =>
      this.warn(`local Convex server: could not write ${this.file}: ${(error as Error).message}`),
    );
  }

  /**
   * Writes a snapshot of everything committed so far and deletes the log files it covers; one at a
   * time. Commits go on meanwhile, into a new log file.
   */
  checkpoint(): Promise<void> {
    const run = this.checkpoints.then(() => this.fold());
    this.checkpoints = run.catch(() => {});
    return run;
  }

  private async fold(): Promise<void> {
    this.checkpointQueued = false;
    const log = this.log;
    const take = this.take;
    if (log === undefined || take === undefined) return;
    // The snapshot and the seq it covers are taken together, between two commits.
    const snapshot = take();
    const rotated = log.rotate();
    const [db, ids] = serialize(snapshot, log.lastSeq);
    await rotated;
    await writeDurably(this.file, db);
    await writeDurably(this.idsFile, ids);
    this.snapshotBytes = Buffer.byteLength(db);
    log.removeOlder();
  }

  /** Stops logging, writes the last snapshot and deletes the log; for shutdown. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.quiet);
    await this.checkpoint();
    await this.log?.close();
    this.log?.removeCurrent();
    this.log = undefined;
  }
}

/** One database's data as a map by id, with its counters; what a replay works on. */
type Replayed = { documents: Map<string, JSONValue>; nextDocId: number; lastCreationTime: number };

function replayable(
  stored: { documents: JSONValue[]; nextDocId: number; lastCreationTime: number } | undefined,
): Replayed {
  const documents = new Map<string, JSONValue>();
  for (const doc of stored?.documents ?? []) documents.set((doc as { _id: string })._id, doc);
  return { documents, nextDocId: stored?.nextDocId ?? 0, lastCreationTime: stored?.lastCreationTime ?? 0 };
}

function applyWrites(target: Replayed, commit: Omit<CommittedWrites, "ts" | "components">): void {
  for (const [id, doc] of commit.writes) {
    if (doc === null) target.documents.delete(id);
    else target.documents.set(id, doc);
  }
  target.nextDocId = Math.max(target.nextDocId, commit.nextDocId);
  target.lastCreationTime = Math.max(target.lastCreationTime, commit.lastCreationTime);
}

/**
 * The snapshot with the logged commits applied in order: each document, of the app's or of a
 * component's database, as its last commit left it.
 */
function replay(stored: EngineSnapshot | null, records: LogRecord[]): EngineSnapshot {
  const app = replayable(stored ?? undefined);
  const components = new Map(
    Object.entries(stored?.components ?? {}).map(([componentPath, data]) => [componentPath, replayable(data)]),
  );
  let lastCommitTs = BigInt(stored?.lastCommitTs ?? 0);
  for (const record of records) {
    applyWrites(app, record);
    for (const [componentPath, commit] of Object.entries(record.components ?? {})) {
      let target = components.get(componentPath);
      if (target === undefined) components.set(componentPath, (target = replayable(undefined)));
      applyWrites(target, commit);
    }
    const ts = BigInt(record.ts);
    if (ts > lastCommitTs) lastCommitTs = ts;
  }
  const plain = ({ documents, nextDocId, lastCreationTime }: Replayed) => ({
    documents: [...documents.values()],
    nextDocId,
    lastCreationTime,
  });
  return {
    ...plain(app),
    lastCommitTs: lastCommitTs.toString(),
    ...(components.size > 0 && {
      components: Object.fromEntries([...components].map(([componentPath, data]) => [componentPath, plain(data)])),
    }),
  };
}

function serialize(snapshot: EngineSnapshot, walSeq: number): [string, string] {
  const stored: StoredSnapshot = { format: FORMAT, savedAt: new Date().toISOString(), ...snapshot, walSeq };
  return [JSON.stringify(stored), JSON.stringify({ nextDocId: snapshot.nextDocId })];
}

/** Replaces `file` atomically and durably: a flushed temporary file, renamed over it. */
async function writeDurably(file: string, text: string): Promise<void> {
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, "w", FILE_MODE);
  try {
    // A temporary file left by an earlier crash keeps its old mode when rewritten.
    await handle.chmod(FILE_MODE);
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  syncDirectory(path.dirname(file));
}

function writeDurablySync(file: string, text: string): void {
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, "w", FILE_MODE);
  try {
    fchmodSync(fd, FILE_MODE);
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  syncDirectory(path.dirname(file));
}
