import { ConvexError } from "convex/values";

import { isErrorCode, type ErrorCode } from "@/convex/model/errors";

/** The codes the backend's expected failures carry (defined in convex/model/errors.ts). */
export type AppErrorCode = ErrorCode;

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
      const code = isErrorCode(data.code) ? data.code : null;
      return { code, message: data.message };
    }
    if (typeof data === "string") return { code: null, message: data };
  }
  if (isRecord(error) && error.name === "OfflineIdentityError" && typeof error.message === "string") {
    return { code: null, message: error.message };
  }
  return { code: null, message: "Something went wrong. Try again in a moment." };
}
