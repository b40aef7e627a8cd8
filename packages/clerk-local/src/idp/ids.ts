import { randomInt } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Prefixes Clerk and Svix put on their ids; the shape lets logs and fixtures read like production. */
export type IdPrefix = "user" | "idn" | "org" | "orgmem" | "sess" | "ins" | "msg";

/** A Clerk-style id (`user_2b3c…`): the prefix and 27 random base62 characters. */
export function newId(prefix: IdPrefix): string {
  let body = "";
  for (let i = 0; i < 27; i++) body += BASE62[randomInt(62)];
  return `${prefix}_${body}`;
}
