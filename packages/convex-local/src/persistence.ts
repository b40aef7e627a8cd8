/**
 * The local server's data on disk: one JSON snapshot of every committed document, written
 * atomically (temporary file, then rename) shortly after each commit and on shutdown.
 *
 * `ids.json` sits beside it and survives `--reset`: it keeps the id counter, so an id handed out
 * before a reset is never handed out again (a browser tab still holding one gets "not found", not
 * somebody else's row). Commit timestamps come from the clock and are kept strictly increasing by
 * the snapshot's `lastCommitTs` (never by a client).
 *
 * The snapshot holds every tenant's data: the directory is the owner's only (0700) and so are the
 * files (0600), whatever the umask.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { chmod, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { EngineSnapshot } from "./convex-test-internals";

const SNAPSHOT_FILE = "db.json";
const IDS_FILE = "ids.json";
const FORMAT = 1;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** A stored clock further ahead than this was not set by this server's own commits. */
const MAX_CLOCK_LEAD_NS = 24n * 60n * 60n * 1_000_000_000n;

type StoredSnapshot = EngineSnapshot & { format: number; savedAt: string };

export class Persistence {
  readonly file: string;
  private readonly idsFile: string;

  constructor(
    readonly dataDir: string,
    private readonly warn: (line: string) => void = (line) => console.error(line),
  ) {
    this.file = path.join(dataDir, SNAPSHOT_FILE);
    this.idsFile = path.join(dataDir, IDS_FILE);
    mkdirSync(dataDir, { recursive: true, mode: DIR_MODE });
    // Made by an earlier version with the umask's modes: tighten them.
    chmodSync(dataDir, DIR_MODE);
    for (const file of [this.file, this.idsFile]) if (existsSync(file)) chmodSync(file, FILE_MODE);
  }

  /** Forgets the documents (not the id counter). */
  reset(): void {
    rmSync(this.file, { force: true });
  }

  /** The stored snapshot, or null when there is none yet. Throws, naming the file, when it is unreadable. */
  load(): EngineSnapshot | null {
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
      lastCommitTs: this.checkedClock(stored.lastCommitTs),
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

  /** Writes now, after any write still in progress; for shutdown. */
  async save(snapshot: EngineSnapshot): Promise<void> {
    await this.writing;
    const [db, ids] = serialize(snapshot);
    for (const [file, text] of [
      [this.file, db],
      [this.idsFile, ids],
    ] as const) {
      writeFileSync(`${file}.tmp`, text, { mode: FILE_MODE });
      // A temporary file left by an earlier crash keeps its old mode when rewritten.
      chmodSync(`${file}.tmp`, FILE_MODE);
      renameSync(`${file}.tmp`, file);
    }
  }

  private writing: Promise<void> = Promise.resolve();

  /** Writes in the background (file I/O off the event loop), one write at a time. */
  saveInBackground(snapshot: EngineSnapshot, onError: (error: Error) => void): void {
    const [db, ids] = serialize(snapshot);
    this.writing = this.writing
      .then(async () => {
        for (const [file, text] of [
          [this.file, db],
          [this.idsFile, ids],
        ] as const) {
          await writeFile(`${file}.tmp`, text, { mode: FILE_MODE });
          await chmod(`${file}.tmp`, FILE_MODE);
          await rename(`${file}.tmp`, file);
        }
      })
      .catch(onError);
  }
}

function serialize(snapshot: EngineSnapshot): [string, string] {
  const stored: StoredSnapshot = { format: FORMAT, savedAt: new Date().toISOString(), ...snapshot };
  return [JSON.stringify(stored), JSON.stringify({ nextDocId: snapshot.nextDocId })];
}
