import { ConvexError } from "convex/values";

/**
 * The closed set of codes an expected failure carries to the client, each with the HTTP status the
 * HTTP API answers it with (the API adds its own codes in http/router.ts).
 */
export const ERROR_STATUS = {
  INVALID: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as readonly ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_STATUS, value);
}

export type AppErrorData = { code: ErrorCode; message: string };

/** An expected failure: the client reads `error.data.code` and shows `error.data.message`. */
export function appError(code: ErrorCode, message: string): ConvexError<AppErrorData> {
  return new ConvexError({ code, message });
}
