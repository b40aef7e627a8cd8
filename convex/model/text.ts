import { appError } from "./errors";

/** Trims a user-entered string and checks its length, naming the field in the error. */
export function cleanText(value: string, field: string, options: { max: number; allowEmpty?: boolean }): string {
  const text = value.trim();
  if (text.length === 0 && options.allowEmpty !== true) {
    throw appError("INVALID", `${field} must not be empty.`);
  }
  if (text.length > options.max) {
    throw appError("INVALID", `${field} must be at most ${options.max} characters (got ${text.length}).`);
  }
  return text;
}
