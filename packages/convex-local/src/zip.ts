/**
 * The ZIP files of snapshot export and import (Convex docs "Data Export" / "Data Import"): a
 * writer that streams deflated entries to a file, and a reader of a whole archive in memory.
 *
 * Written on `node:zlib` (raw deflate, `crc32`) because no ZIP library is installed in this
 * workspace and the package adds no dependency for one format it needs only a small part of: no
 * encryption, no multi-disk archives; ZIP64 is read (large archives made elsewhere) but not
 * written (an export past 4 GiB is refused, far beyond what this in-memory backend holds).
 */
import { open, type FileHandle } from "node:fs/promises";
import { promisify } from "node:util";
import zlib from "node:zlib";

const deflateRaw = promisify(zlib.deflateRaw);

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
const STORED = 0;
const DEFLATED = 8;
/** General purpose flag 11: the entry's name is UTF-8. */
const UTF8_NAME = 0x0800;
/** Version 2.0 (deflate), made on Unix (so the external attributes carry permissions). */
const VERSION_NEEDED = 20;
const VERSION_MADE_BY = (3 << 8) | 20;
/** rw-r--r-- regular file, as Convex's exports mark their entries. */
const FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;
const MAX_32 = 0xffffffff;
const MAX_16 = 0xffff;

/** A ZIP file that cannot be read; the message says why. */
export class InvalidZip extends Error {}

type CentralEntry = { name: Buffer; method: number; crc: number; compressed: number; size: number; offset: number };

/** MS-DOS date and time (local time, 2-second precision), as ZIP headers keep them. */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.max(1980, date.getFullYear());
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/** Writes a ZIP file entry by entry (each deflated), then its central directory on `finish`. */
export class ZipWriter {
  private offset = 0;
  private readonly entries: CentralEntry[] = [];
  private readonly stamp: { time: number; date: number };

  private constructor(
    private readonly file: FileHandle,
    modified: Date,
  ) {
    this.stamp = dosDateTime(modified);
  }

  /** Creates `path` (which must not exist) with `mode`. */
  static async create(path: string, options: { mode: number; modified?: Date }): Promise<ZipWriter> {
    return new ZipWriter(await open(path, "wx", options.mode), options.modified ?? new Date());
  }

  async add(name: string, data: Buffer | string): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const nameBytes = Buffer.from(name, "utf8");
    const compressed = await deflateRaw(bytes);
    const entry: CentralEntry = {
      name: nameBytes,
      method: DEFLATED,
      crc: zlib.crc32(bytes),
      compressed: compressed.length,
      size: bytes.length,
      offset: this.offset,
    };
    if (
      entry.size >= MAX_32 ||
      entry.compressed >= MAX_32 ||
      entry.offset + 30 + nameBytes.length + compressed.length >= MAX_32 ||
      this.entries.length >= MAX_16 - 1
    ) {
      throw new InvalidZip("The snapshot is too large for a ZIP file without ZIP64 (4 GiB, 65535 entries).");
    }
    const header = Buffer.alloc(30);
    header.writeUInt32LE(LOCAL_HEADER, 0);
    header.writeUInt16LE(VERSION_NEEDED, 4);
    header.writeUInt16LE(UTF8_NAME, 6);
    header.writeUInt16LE(entry.method, 8);
    header.writeUInt16LE(this.stamp.time, 10);
    header.writeUInt16LE(this.stamp.date, 12);
    header.writeUInt32LE(entry.crc, 14);
    header.writeUInt32LE(entry.compressed, 18);
    header.writeUInt32LE(entry.size, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(0, 28);
    await this.write(Buffer.concat([header, nameBytes]));
    await this.write(compressed);
    this.entries.push(entry);
  }

  /** Writes the central directory and closes the file; the file's size. */
  async finish(): Promise<number> {
    try {
      const start = this.offset;
      for (const entry of this.entries) {
        const header = Buffer.alloc(46);
        header.writeUInt32LE(CENTRAL_HEADER, 0);
        header.writeUInt16LE(VERSION_MADE_BY, 4);
        header.writeUInt16LE(VERSION_NEEDED, 6);
        header.writeUInt16LE(UTF8_NAME, 8);
        header.writeUInt16LE(entry.method, 10);
        header.writeUInt16LE(this.stamp.time, 12);
        header.writeUInt16LE(this.stamp.date, 14);
        header.writeUInt32LE(entry.crc, 16);
        header.writeUInt32LE(entry.compressed, 20);
        header.writeUInt32LE(entry.size, 24);
        header.writeUInt16LE(entry.name.length, 28);
        // Extra field, comment, disk number, internal attributes: none.
        header.writeUInt32LE(FILE_ATTRIBUTES, 38);
        header.writeUInt32LE(entry.offset, 42);
        await this.write(Buffer.concat([header, entry.name]));
      }
      const size = this.offset - start;
      if (this.offset >= MAX_32) {
        throw new InvalidZip("The snapshot is too large for a ZIP file without ZIP64 (4 GiB, 65535 entries).");
      }
      const end = Buffer.alloc(22);
      end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
      end.writeUInt16LE(this.entries.length, 8);
      end.writeUInt16LE(this.entries.length, 10);
      end.writeUInt32LE(size, 12);
      end.writeUInt32LE(start, 16);
      await this.write(end);
      return this.offset;
    } finally {
      await this.file.close();
    }
  }

  /** Closes the file without finishing it (the caller removes it). */
  async abandon(): Promise<void> {
    await this.file.close().catch(() => {});
  }

  private async write(bytes: Buffer): Promise<void> {
    await this.file.write(bytes, 0, bytes.length, this.offset);
    this.offset += bytes.length;
  }
}

/** One file of an archive: its name, and its bytes, inflated and checked when read. */
export type ZipEntry = { name: string; size: number; read(): Buffer };

function findEndOfCentralDirectory(zip: Buffer): number {
  // The record is 22 bytes and may be followed by a comment of up to 65535 bytes.
  const lowest = Math.max(0, zip.length - 22 - MAX_16);
  for (let at = zip.length - 22; at >= lowest; at--) {
    if (zip.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) return at;
  }
  throw new InvalidZip("not a ZIP file (no end of central directory record)");
}

/** Reads the entries of a ZIP archive held in memory (STORED and DEFLATED entries, ZIP64 too). */
export function readZip(zip: Buffer): ZipEntry[] {
  if (zip.length < 22) throw new InvalidZip("not a ZIP file (too short)");
  const end = findEndOfCentralDirectory(zip);
  let count = zip.readUInt16LE(end + 10);
  let directorySize = zip.readUInt32LE(end + 12);
  let directoryOffset = zip.readUInt32LE(end + 16);
  const locator = end - 20;
  if (locator >= 0 && zip.readUInt32LE(locator) === ZIP64_LOCATOR) {
    const record = Number(zip.readBigUInt64LE(locator + 8));
    if (record + 56 > zip.length || zip.readUInt32LE(record) !== ZIP64_END_OF_CENTRAL_DIRECTORY) {
      throw new InvalidZip("bad ZIP64 end of central directory record");
    }
    count = Number(zip.readBigUInt64LE(record + 32));
    directorySize = Number(zip.readBigUInt64LE(record + 40));
    directoryOffset = Number(zip.readBigUInt64LE(record + 48));
  }
  if (directoryOffset + directorySize > zip.length) throw new InvalidZip("central directory outside the file");

  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL_HEADER) {
      throw new InvalidZip("bad central directory entry");
    }
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    let compressed = zip.readUInt32LE(at + 20);
    let size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    let offset = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    // ZIP64: the fields saturated at 0xFFFFFFFF follow in the extra field, in this order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = zip.readUInt16LE(extra);
      const length = zip.readUInt16LE(extra + 2);
      if (id === ZIP64_EXTRA) {
        let field = extra + 4;
        if (size === MAX_32) {
          size = Number(zip.readBigUInt64LE(field));
          field += 8;
        }
        if (compressed === MAX_32) {
          compressed = Number(zip.readBigUInt64LE(field));
          field += 8;
        }
        if (offset === MAX_32) offset = Number(zip.readBigUInt64LE(field));
      }
      extra += 4 + length;
    }
    at = extraEnd + commentLength;
    if (name.endsWith("/")) continue;
    if ((flags & 1) !== 0) throw new InvalidZip(`${name} is encrypted`);
    if (method !== STORED && method !== DEFLATED) {
      throw new InvalidZip(`${name} uses compression method ${method} (only stored and deflated entries are read)`);
    }
    if (offset + 30 > zip.length || zip.readUInt32LE(offset) !== LOCAL_HEADER) {
      throw new InvalidZip(`bad local header for ${name}`);
    }
    const dataStart = offset + 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28);
    if (dataStart + compressed > zip.length) throw new InvalidZip(`${name} extends past the end of the file`);
    entries.push({
      name,
      size,
      read: () => {
        const data = zip.subarray(dataStart, dataStart + compressed);
        let bytes: Buffer;
        try {
          bytes = method === STORED ? data : zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, size) });
        } catch (error) {
          throw new InvalidZip(`${name} does not inflate: ${(error as Error).message}`);
        }
        if (bytes.length !== size || zlib.crc32(bytes) !== crc) {
          throw new InvalidZip(`${name} is damaged (its size or CRC-32 does not match)`);
        }
        return bytes;
      },
    });
  }
  return entries;
}
