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
  RATE_LIMITED: 429,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as readonly ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_STATUS, value);
}

export type AppErrorData = { code: ErrorCode; message: string };

/** A rate limit's refusal also says when to try again (the HTTP API sends it as `Retry-After`). */
export type RateLimitedErrorData = { code: "RATE_LIMITED"; message: string; retryAfterMs: number };

/** An expected failure: the client reads `error.data.code` and shows `error.data.message`. */
export function appError(code: ErrorCode, message: string): ConvexError<AppErrorData> {
  return new ConvexError({ code, message });
}

/** Whole milliseconds to wait, at least 1 (the limiter's floating-point noise dropped). */
export function retryAfterWholeMs(retryAfterMs: number): number {
  return Math.max(1, Math.round(retryAfterMs));
}

/** Whole seconds to wait, rounded up, as `Retry-After` and the messages say it. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.ceil(retryAfterWholeMs(retryAfterMs) / 1000);
}

/** "1 second", "12 seconds". */
export function secondsText(retryAfterMs: number): string {
  const seconds = retryAfterSeconds(retryAfterMs);
  return seconds === 1 ? "1 second" : `${seconds} seconds`;
}

/** A write refused by the per-user rate limit, with the message the web app shows as it is. */
export function rateLimitedError(retryAfterMs: number): ConvexError<RateLimitedErrorData> {
  return new ConvexError({
    code: "RATE_LIMITED",
    message: `You're doing that too often. Try again in ${secondsText(retryAfterMs)}.`,
    retryAfterMs: retryAfterWholeMs(retryAfterMs),
  });
}
