/**
 * The offline server's data on disk: one JSON snapshot of every committed document, written
 * atomically (temporary file, then rename) shortly after each commit and on shutdown.
 *
 * `ids.json` sits beside it and survives `--reset`: it keeps the id counter, so an id handed out
 * before a reset is never handed out again (a browser tab still holding one gets "not found", not
 * somebody else's row). Commit timestamps come from the clock and are kept strictly increasing by
 * the snapshot's `lastCommitTs` and by what reconnecting clients have observed.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { EngineSnapshot } from "./convex-test-internals";

const SNAPSHOT_FILE = "db.json";
const IDS_FILE = "ids.json";
const FORMAT = 1;

type StoredSnapshot = EngineSnapshot & { format: number; savedAt: string };

export class Persistence {
  readonly file: string;
  private readonly idsFile: string;

  constructor(readonly dataDir: string) {
    this.file = path.join(dataDir, SNAPSHOT_FILE);
    this.idsFile = path.join(dataDir, IDS_FILE);
    mkdirSync(dataDir, { recursive: true });
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
        `${this.file} was not written by this version of the offline server. Start with --reset to begin again.`,
      );
    }
    return {
      documents: stored.documents,
      nextDocId: Number(stored.nextDocId ?? 0),
      lastCreationTime: Number(stored.lastCreationTime ?? 0),
      lastCommitTs: stored.lastCommitTs,
    };
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
    writeFileSync(`${this.file}.tmp`, db);
    renameSync(`${this.file}.tmp`, this.file);
    writeFileSync(`${this.idsFile}.tmp`, ids);
    renameSync(`${this.idsFile}.tmp`, this.idsFile);
  }

  private writing: Promise<void> = Promise.resolve();

  /** Writes in the background (file I/O off the event loop), one write at a time. */
  saveInBackground(snapshot: EngineSnapshot, onError: (error: Error) => void): void {
    const [db, ids] = serialize(snapshot);
    this.writing = this.writing
      .then(async () => {
        await writeFile(`${this.file}.tmp`, db);
        await rename(`${this.file}.tmp`, this.file);
        await writeFile(`${this.idsFile}.tmp`, ids);
        await rename(`${this.idsFile}.tmp`, this.idsFile);
      })
      .catch(onError);
  }
}

function serialize(snapshot: EngineSnapshot): [string, string] {
  const stored: StoredSnapshot = { format: FORMAT, savedAt: new Date().toISOString(), ...snapshot };
  return [JSON.stringify(stored), JSON.stringify({ nextDocId: snapshot.nextDocId })];
}
