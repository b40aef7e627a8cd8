/**
 * Checks the input of every directory and session operation, for the programmatic API and the HTTP
 * API alike. Each refusal names the field and what was expected.
 */
import { IdpError } from "./errors";

type Fields = Record<string, unknown>;

/** An object with only the listed keys; a misspelt key is refused rather than ignored. */
export function fields(value: unknown, what: string, allowed: readonly string[]): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new IdpError("invalid", `${what} must be a JSON object with ${allowed.join(", ")}.`);
  }
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new IdpError(
      "invalid",
      `${what} has unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (expected ${allowed.join(", ")}).`,
    );
  }
  return value as Fields;
}

type StringRule = { max: number; pattern?: RegExp; hint?: string };

function checkString(value: unknown, key: string, rule: StringRule): string {
  if (typeof value !== "string") throw new IdpError("invalid", `${key} must be a string.`);
  const trimmed = value.trim();
  if (trimmed === "") throw new IdpError("invalid", `${key} must not be empty.`);
  if (trimmed.length > rule.max) throw new IdpError("invalid", `${key} must be at most ${rule.max} characters.`);
  if (rule.pattern && !rule.pattern.test(trimmed)) {
    throw new IdpError("invalid", `${key} is malformed${rule.hint ? `: ${rule.hint}` : ""}.`);
  }
  return trimmed;
}

/** A required non-empty string, trimmed. */
export function requiredString(obj: Fields, key: string, rule: StringRule): string {
  if (obj[key] === undefined || obj[key] === null) throw new IdpError("invalid", `${key} is required.`);
  return checkString(obj[key], key, rule);
}

/** `undefined` when absent; otherwise a non-empty string, trimmed. */
export function optionalString(obj: Fields, key: string, rule: StringRule): string | undefined {
  return obj[key] === undefined ? undefined : checkString(obj[key], key, rule);
}

/** `undefined` when absent, `null` when null or empty (cleared), otherwise a trimmed string. */
export function clearableString(obj: Fields, key: string, rule: StringRule): string | null | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (value === null || (typeof value === "string" && value.trim() === "")) return null;
  return checkString(value, key, rule);
}

/** `undefined` when absent, `null` when null, otherwise an id with the given prefix. */
export function nullableId(obj: Fields, key: string, prefix: string): string | null | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return value;
  return checkId(value, key, prefix);
}

/** A required id with the given prefix (`user_…`). */
export function requiredId(obj: Fields, key: string, prefix: string): string {
  if (obj[key] === undefined || obj[key] === null) throw new IdpError("invalid", `${key} is required.`);
  return checkId(obj[key], key, prefix);
}

/** Checks an id taken from a URL path or an argument. */
export function checkId(value: unknown, key: string, prefix: string): string {
  return checkString(value, key, {
    max: 100,
    pattern: new RegExp(`^${prefix}_[A-Za-z0-9]+$`),
    hint: `expected an id like ${prefix}_2abc…`,
  });
}

export const NAME = { max: 256 };
export const EMAIL = {
  max: 320,
  pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  hint: "expected an address like ada@example.com",
};
export const SLUG = {
  max: 64,
  pattern: /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
  hint: "use lowercase letters, digits and single hyphens, like acme-inc",
};
export const IMAGE_URL = {
  max: 16_384,
  pattern: /^(https?:\/\/\S+|data:image\/[a-z+.-]+[;,]\S+)$/,
  hint: "expected an http(s) or data:image URL",
};
