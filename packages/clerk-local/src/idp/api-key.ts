/**
 * The identity provider's API key: what the app's server side, tools and tests send as
 * `Authorization: Bearer <key>` to change the directory, sign someone in or mint a token. Generated
 * once, kept in the data directory readable by its owner only (0600 in a 0700 directory), so only
 * processes of the same user that were told where the data directory is can use the provider.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import path from "node:path";
import { readIfExists, writeAtomic } from "./files";

const FILE = "api-key";
const FORMAT = /^oik_[A-Za-z0-9_-]{43}$/;

/** Where the key of the provider whose data directory is `dataDir` is kept. */
export function apiKeyPath(dataDir: string): string {
  return path.join(dataDir, FILE);
}

/** Reads a key file written by `loadOrCreateApiKey`; throws, naming the file, when it is missing or damaged. */
export function readApiKey(file: string): string {
  const text = readIfExists(file);
  if (text === null) {
    throw new Error(
      `${file} does not exist: start the identity provider first, or point at the api-key file of its data directory.`,
    );
  }
  const key = text.trim();
  if (!FORMAT.test(key)) throw new Error(`${file} does not hold an identity provider API key. Start with --reset.`);
  return key;
}

/** The key kept in `dataDir`, made on first use. */
export function loadOrCreateApiKey(dataDir: string): string {
  const file = apiKeyPath(dataDir);
  if (readIfExists(file) !== null) return readApiKey(file);
  const key = `oik_${randomBytes(32).toString("base64url")}`;
  writeAtomic(file, key + "\n");
  return key;
}

/** Whether an `Authorization` header carries `key`, compared in constant time. */
export function authorizes(header: string | undefined, key: string): boolean {
  const match = /^Bearer ([^\s]+)$/.exec(header ?? "");
  if (match === null) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(key);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
