import { ConvexError } from "convex/values";

/** The codes the backend's expected failures carry (convex/model/errors.ts). */
export type AppErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "INVALID" | "CONFLICT";

const CODES: readonly string[] = ["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "INVALID", "CONFLICT"];

export type AppErrorInfo = { code: AppErrorCode | null; message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * What to tell a person about a failure: the backend's own message for a `ConvexError`, else a
 * generic sentence (server errors' details are not for end users and are redacted in production).
 */
export function describeError(error: unknown): AppErrorInfo {
  if (error instanceof ConvexError) {
    const data: unknown = error.data;
    if (isRecord(data) && typeof data.message === "string") {
      const code = typeof data.code === "string" && CODES.includes(data.code) ? (data.code as AppErrorCode) : null;
      return { code, message: data.message };
    }
    if (typeof data === "string") return { code: null, message: data };
  }
  if (isRecord(error) && error.name === "OfflineIdentityError" && typeof error.message === "string") {
    return { code: null, message: error.message };
  }
  return { code: null, message: "Something went wrong. Try again in a moment." };
}
