import { ConvexError } from "convex/values";

/** The closed set of codes an expected failure carries to the client. */
export type ErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "INVALID" | "CONFLICT";

export type AppErrorData = { code: ErrorCode; message: string };

/** An expected failure: the client reads `error.data.code` and shows `error.data.message`. */
export function appError(code: ErrorCode, message: string): ConvexError<AppErrorData> {
  return new ConvexError({ code, message });
}
