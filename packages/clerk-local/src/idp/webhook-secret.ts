import { randomBytes } from "node:crypto";
import path from "node:path";
import { readIfExists, writeAtomic } from "./files";

const FILE = "webhook-secret";
const FORMAT = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/** Where the secret is kept, for tools that configure the webhook receiver (the backend) with it. */
export function webhookSecretPath(dataDir: string): string {
  return path.join(dataDir, FILE);
}

/** Checks a `whsec_<base64>` secret as svix reads it: at least 16 bytes of key. */
export function checkWebhookSecret(secret: string, source: string): string {
  const trimmed = secret.trim();
  if (!FORMAT.test(trimmed) || Buffer.from(trimmed.slice("whsec_".length), "base64").length < 16) {
    throw new Error(`${source} is not a webhook secret: expected "whsec_" followed by the base64 of 16+ random bytes.`);
  }
  return trimmed;
}

/**
 * The signing secret of the local webhook endpoint, in Svix's format (`whsec_` + base64 of 24
 * random bytes). Generated once and kept in `dataDir`, so the backend's configuration survives restarts.
 */
export function loadOrCreateWebhookSecret(dataDir: string): string {
  const file = webhookSecretPath(dataDir);
  const text = readIfExists(file);
  if (text !== null) return checkWebhookSecret(text, file);
  const secret = `whsec_${randomBytes(24).toString("base64")}`;
  writeAtomic(file, secret + "\n");
  return secret;
}
