import type { PaginationOptions, PaginationResult } from "convex/server";
import { appError } from "./errors";

/** The most rows one page may hold, whatever the client asks for: reads stay bounded. */
export const MAX_PAGE_SIZE = 100;

/** Clamps client pagination options so no page reads more than MAX_PAGE_SIZE rows. */
export function boundedPage(opts: PaginationOptions): PaginationOptions {
  if (!Number.isInteger(opts.numItems) || opts.numItems < 1) {
    throw appError("INVALID", "paginationOpts.numItems must be a positive whole number.");
  }
  return { ...opts, numItems: Math.min(opts.numItems, MAX_PAGE_SIZE) };
}

/** The answer for a list whose tenant has not been provisioned yet: nothing. */
export function emptyPage(): PaginationResult<never> {
  return { page: [], isDone: true, continueCursor: "" };
}

/** Maps the rows of a page, keeping its cursors. */
export async function mapPage<T, U>(
  result: PaginationResult<T>,
  fn: (item: T) => Promise<U | null> | U | null,
): Promise<PaginationResult<U>> {
  const mapped: (U | null)[] = await Promise.all(result.page.map(fn));
  return { ...result, page: mapped.filter((item): item is U => item !== null) };
}
