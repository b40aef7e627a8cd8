/**
 * Bounded, reactive pagination for every public list.
 *
 * Why not `.paginate()`: on a deployment, a page with an end cursor (`paginationOpts.endCursor`, or the
 * one the backend journals for a reactive page) reads its whole range and ignores `numItems` and
 * `maximumRowsRead`; a client that sends a far `endCursor` gets thousands of rows in one call. Here a
 * cursor is the row's position in the list's index (the fields after the tenant's equality prefix),
 * every read is an index range inside that prefix, and no call reads more than MAX_PAGE_SIZE rows.
 *
 * The protocol is Convex's, so `usePaginatedQuery` from `convex/react` works unchanged:
 * - `{ cursor, numItems }` (no endCursor) returns up to `numItems` rows after `cursor`, and recommends a
 *   split (`pageStatus: "SplitRecommended"`, `splitCursor`). The hook then replaces the page by two pages
 *   with explicit end cursors, which stay gap-free as rows come and go (the journal's job on `.paginate()`).
 * - `{ cursor, endCursor }` returns the rows in (cursor, endCursor], whatever `numItems` says. When that
 *   range holds more than MAX_PAGE_SIZE rows, it answers `pageStatus: "SplitRequired"` with the first
 *   MAX_PAGE_SIZE rows and a `splitCursor`, and the hook splits the range until every page fits.
 */
import type { GenericDatabaseReader, PaginationOptions, PaginationResult } from "convex/server";
import { compareValues, convexToJson, jsonToConvex, type Value } from "convex/values";
import type { DataModel, TableNames } from "../_generated/dataModel";
import { appError } from "./errors";

/** The most rows one page may hold, and one call may read, whatever the client asks for. */
export const MAX_PAGE_SIZE = 100;

/** The cursor of the end of a list (Convex's cursors are opaque strings too). */
export const END_CURSOR = "end";

/** A row's position in a list: the values of the list's key fields. */
type Key = Value[];

type Bound = { op: "gt" | "gte" | "lt" | "lte"; value: Value };

/** One index range after the list's prefix: equalities on the leading key fields, then bounds on the next. */
type Segment = { eqs: Value[]; lower?: Bound; upper?: Bound };

/** The part of Convex's index range builder the bounds use (its typed form depends on the index). */
type RangeBuilder = {
  eq(field: string, value: Value): RangeBuilder;
  gt(field: string, value: Value): RangeBuilder;
  gte(field: string, value: Value): RangeBuilder;
  lt(field: string, value: Value): RangeBuilder;
  lte(field: string, value: Value): RangeBuilder;
};

/** Adds a page's range to a list's equality prefix, inside the list's `withIndex` callback. */
export type PageBounds = <B>(prefix: B) => B;

/** A paginated list: one index, one equality prefix (the tenant's), one order. */
export type PageSource<Doc> = {
  /** The table read; cursor ids are checked against it. */
  table: TableNames;
  /** The index fields after the equality prefix, ending with `_creationTime` and `_id`: a row's position. */
  keyFields: readonly string[];
  order: "asc" | "desc";
  /**
   * The list's query with the page's bounds after its equality prefix, e.g.
   * `(bounds) => db.query("projects").withIndex("by_orgId_and_status", (q) => bounds(q.eq("orgId", id).eq("status", s)))`.
   */
  query: (bounds: PageBounds) => { order(order: "asc" | "desc"): { take(n: number): Promise<Doc[]> } };
};

function invalid(message: string) {
  // `usePaginatedQuery` restarts from the first page on an error that mentions InvalidCursor.
  return appError("INVALID", `${message} (InvalidCursor). Start again from the first page.`);
}

function positiveInteger(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw appError("INVALID", `${name} must be a positive whole number.`);
  return value;
}

function encodeCursor(key: Key): string {
  return JSON.stringify(convexToJson(key));
}

/** Reads a cursor this list issued; null is the start (or the end, for an end cursor). */
function decodeCursor(
  db: GenericDatabaseReader<DataModel>,
  source: PageSource<unknown>,
  cursor: string,
  name: string,
): Key | "end" {
  if (cursor === END_CURSOR) return "end";
  let key: unknown;
  try {
    key = jsonToConvex(JSON.parse(cursor));
  } catch {
    throw invalid(`paginationOpts.${name} is not valid for this list`);
  }
  const fields = source.keyFields;
  if (!Array.isArray(key) || key.length !== fields.length) {
    throw invalid(`paginationOpts.${name} is not valid for this list`);
  }
  key.forEach((value: unknown, index) => {
    const ok =
      fields[index] === "_id"
        ? typeof value === "string" && db.normalizeId(source.table, value) !== null
        : (typeof value === "number" && Number.isFinite(value)) || typeof value === "string";
    if (!ok) throw invalid(`paginationOpts.${name} is not valid for this list`);
  });
  return key as Key;
}

function keyOf(doc: unknown, fields: readonly string[]): Key {
  const row = doc as Record<string, Value>;
  return fields.map((field) => row[field]!);
}

function sameKey(a: Key, b: Key) {
  return a.length === b.length && a.every((value, index) => compareValues(value, b[index]) === 0);
}

/**
 * The index ranges that hold the rows after `start` up to and including `end`, in reading order:
 * a position (k0, k1, k2) is compared field by field, so "after (a0, a1, a2)" is
 * `eq(a0).eq(a1).after(a2)`, then `eq(a0).after(a1)`, then `after(a0)`; the end bound mirrors it.
 */
function segments(start: Key | null, end: Key | null, order: "asc" | "desc"): Segment[] {
  const asc = order === "asc";
  const after = (value: Value): Pick<Segment, "lower" | "upper"> =>
    asc ? { lower: { op: "gt", value } } : { upper: { op: "lt", value } };
  const before = (value: Value, inclusive: boolean): Pick<Segment, "lower" | "upper"> =>
    asc ? { upper: { op: inclusive ? "lte" : "lt", value } } : { lower: { op: inclusive ? "gte" : "gt", value } };

  if (start === null && end === null) return [{ eqs: [] }];
  if (end === null) {
    const a = start!;
    return a.map((_, i) => a.length - 1 - i).map((i) => ({ eqs: a.slice(0, i), ...after(a[i]!) }));
  }
  const b = end;
  const last = b.length - 1;
  const upTo = (from: number) =>
    b.slice(from).map((_, offset) => {
      const i = from + offset;
      return { eqs: b.slice(0, i), ...before(b[i]!, i === last) };
    });
  if (start === null) return upTo(0);
  const a = start;
  const split = a.findIndex((value, i) => compareValues(value, b[i]) !== 0);
  // An empty range: the start is the end, or lies past it.
  if (split === -1 || compareValues(a[split], b[split]) * (asc ? 1 : -1) > 0) return [];
  const lower = a
    .slice(split + 1)
    .map((_, offset) => last - offset)
    .map((i) => ({ eqs: a.slice(0, i), ...after(a[i]!) }));
  const middle = { eqs: a.slice(0, split), ...after(a[split]!), ...before(b[split]!, split === last) };
  return [...lower, middle, ...upTo(split + 1)];
}

function boundsFor(segment: Segment, fields: readonly string[]): PageBounds {
  return <B>(prefix: B): B => {
    let range = prefix as unknown as RangeBuilder;
    segment.eqs.forEach((value, i) => {
      range = range.eq(fields[i]!, value);
    });
    const field = fields[segment.eqs.length]!;
    if (segment.lower !== undefined) range = range[segment.lower.op](field, segment.lower.value);
    if (segment.upper !== undefined) range = range[segment.upper.op](field, segment.upper.value);
    return range as unknown as B;
  };
}

/**
 * One page of a list, bounded whatever the client sends: at most `min(numItems, MAX_PAGE_SIZE)` rows
 * without `endCursor`, at most MAX_PAGE_SIZE rows (and reads) with one. See the module comment.
 */
export async function boundedPage<Doc>(
  db: GenericDatabaseReader<DataModel>,
  opts: PaginationOptions,
  source: PageSource<Doc>,
): Promise<PaginationResult<Doc>> {
  const numItems = positiveInteger(opts.numItems, "paginationOpts.numItems")!;
  const cap = Math.min(
    MAX_PAGE_SIZE,
    positiveInteger(opts.maximumRowsRead, "paginationOpts.maximumRowsRead") ?? MAX_PAGE_SIZE,
  );
  const start = opts.cursor === null ? null : decodeCursor(db, source, opts.cursor, "cursor");
  const pinned = opts.endCursor !== undefined && opts.endCursor !== null;
  const end = pinned ? decodeCursor(db, source, opts.endCursor!, "endCursor") : "end";
  const limit = pinned ? cap : Math.min(numItems, cap);

  const rows: Doc[] = [];
  if (start !== "end") {
    for (const segment of segments(start, end === "end" ? null : end, source.order)) {
      const want = limit - rows.length;
      if (want === 0) break;
      const found = await source.query(boundsFor(segment, source.keyFields)).order(source.order).take(want);
      rows.push(...found);
    }
  }

  const keys = rows.map((row) => keyOf(row, source.keyFields));
  const middle = keys[Math.floor((keys.length - 1) / 2)];
  if (!pinned) {
    const isDone = rows.length < limit;
    return {
      page: rows,
      isDone,
      continueCursor: isDone ? END_CURSOR : encodeCursor(keys[keys.length - 1]!),
      // Asks usePaginatedQuery to give this page an explicit end: pages without one shift as rows change.
      ...(middle !== undefined && { splitCursor: encodeCursor(middle), pageStatus: "SplitRecommended" as const }),
    };
  }
  // The range is complete when it ran out before the cap, or the cap was reached exactly at its end row.
  const complete = rows.length < limit || (end !== "end" && sameKey(keys[keys.length - 1]!, end));
  return {
    page: rows,
    isDone: complete && end === "end",
    continueCursor: opts.endCursor!,
    // A split point whenever the hook may split: always when required, else once it has two rows.
    ...(middle !== undefined && (!complete || keys.length >= 2) && { splitCursor: encodeCursor(middle) }),
    pageStatus: complete ? null : "SplitRequired",
  };
}

/** The answer for a list whose tenant has not been provisioned yet: nothing. */
export function emptyPage(): PaginationResult<never> {
  return { page: [], isDone: true, continueCursor: END_CURSOR };
}

/** Maps the rows of a page, keeping its cursors. */
export async function mapPage<T, U>(
  result: PaginationResult<T>,
  fn: (item: T) => Promise<U | null> | U | null,
): Promise<PaginationResult<U>> {
  const mapped: (U | null)[] = await Promise.all(result.page.map(fn));
  return { ...result, page: mapped.filter((item): item is U => item !== null) };
}
