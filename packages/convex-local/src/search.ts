/**
 * Full text search (`withSearchIndex`) as a Convex deployment answers it, in place of convex-test's
 * (which splits on whitespace only, prefix-matches every term and returns documents in insertion
 * order). Sources: Convex's docs "Full Text Search"; convex-backend crates/search/src/constants.rs
 * (tokenizer and limits), crates/search/src/lib.rs (`compile`, and the search: token matches,
 * BM25 statistics, posting lists), crates/search/src/memory_index/term_table.rs (exact before prefix
 * matches), crates/database/src/query/search_query.rs (results, cursors, the 1024 limit).
 *
 * - Text is split into runs of letters and digits (tantivy's SimpleTokenizer), terms of 32 bytes
 *   or more are dropped, the rest lowercased.
 * - The query keeps its first 16 terms (the rest are ignored). Every term matches exactly; the last
 *   also matches the index's terms it is a prefix of, at half weight. No typo tolerance.
 * - A document matches with at least one query term and every `.eq` filter; at most 8 filters.
 * - Order: BM25 (k1 1.2, b 0.75, over the table's documents), then newest first. At most 1024
 *   candidates: reading past them throws, as `collect()` of a larger result does on a deployment.
 */
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import type { PageResult, SearchEngine, SearchRequest } from "./convex-test-internals";

/** How many terms of a query are used (crates/search/src/constants.rs). */
export const MAX_QUERY_TERMS = 16;
/** Terms this long in UTF-8 bytes, or longer, are dropped from documents and queries. */
export const MAX_TEXT_TERM_LENGTH = 32;
/** How many results a search reads from the index at most. */
export const MAX_CANDIDATE_REVISIONS = 1024;
/** How many `.eq` filters a search query may have. */
export const MAX_FILTER_CONDITIONS = 8;
/** How many distinct terms (exact, prefix-matched and filter values) one query looks up. */
const MAX_UNIQUE_QUERY_TERMS = 64;
const K1 = 1.2;
const B = 0.75;
const PREFIX_BOOST = 0.5;
/** convex-test's marker for "to the end of the range", which the server's pagination expects. */
const END_CURSOR = "_end_cursor";

type Doc = Record<string, Value>;

/** The terms a deployment indexes for `text`, in order. */
export function tokenize(text: string): string[] {
  const terms: string[] = [];
  for (const [token] of text.matchAll(/[\p{Alphabetic}\p{N}]+/gu)) {
    if (Buffer.byteLength(token) >= MAX_TEXT_TERM_LENGTH) continue;
    // Character by character, as tantivy's LowerCaser does (so a final Σ becomes σ, not ς).
    terms.push(Array.from(token, (char) => char.toLowerCase()).join(""));
  }
  return terms;
}

function fieldValue(doc: Doc, fieldPath: string): Value | undefined {
  let value: unknown = doc;
  for (const part of fieldPath.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value as Value | undefined;
}

/** Equal values have equal keys; a missing field is `undefined`, which `.eq(field, undefined)` asks for. */
function valueKey(value: Value | undefined): string {
  return value === undefined ? "undefined" : JSON.stringify(convexToJson(value));
}

function filterKey(json: JSONValue): string {
  const isUndefined = typeof json === "object" && json !== null && !Array.isArray(json) && "$undefined" in json;
  return isUndefined ? "undefined" : valueKey(jsonToConvex(json));
}

type Compiled = { terms: string[]; filters: { fieldPath: string; key: string }[] };

/** The query's terms and filters, refused where a deployment refuses them (`compile` in lib.rs). */
function compile(request: SearchRequest): Compiled {
  const printable = `${request.table}.${request.indexName}`;
  const index = request.index;
  if (index === null) throw new Error(`Index ${printable} not found.`);
  let text: string | undefined;
  const filters: Compiled["filters"] = [];
  for (const filter of request.filters) {
    if (filter.type === "Search") {
      if (filter.fieldPath !== index.searchField) {
        throw new Error(
          `Search query against ${printable} contains a search filter against "${filter.fieldPath}", ` +
            `which doesn't match the indexed \`searchField\` "${index.searchField}".`,
        );
      }
      if (text !== undefined) {
        throw new Error(
          `Search query against ${printable} contains multiple search filters against "${filter.fieldPath}". Only one is allowed.`,
        );
      }
      text = filter.value;
    } else {
      if (!index.filterFields.includes(filter.fieldPath)) {
        throw new Error(
          `Search query against ${printable} contains an equality filter on "${filter.fieldPath}" ` +
            "but that field isn't indexed for filtering in `filterFields`.",
        );
      }
      filters.push({ fieldPath: filter.fieldPath, key: filterKey(filter.value) });
    }
  }
  if (text === undefined) {
    throw new Error(
      `Search query against ${printable} does not contain any search filters. You must include a search ` +
        `filter like \`q.search("${index.searchField}", searchText)\`.`,
    );
  }
  if (filters.length > MAX_FILTER_CONDITIONS) {
    throw new Error(
      `Search query against ${printable} has too many filter conditions. Max: ${MAX_FILTER_CONDITIONS} Actual: ${filters.length}`,
    );
  }
  return { terms: tokenize(text).slice(0, MAX_QUERY_TERMS), filters };
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

type Candidate = { doc: Doc; score: number; creationTime: number; id: string };

/** The documents a search returns, best first, at most MAX_CANDIDATE_REVISIONS of them. */
function rank(request: SearchRequest): Candidate[] {
  const { terms, filters } = compile(request);
  if (terms.length === 0) return [];
  const searchField = request.index!.searchField;

  // The index: every document of the table, with the terms of its search field.
  const indexed = request.documents.map((doc) => {
    const value = fieldValue(doc, searchField);
    const tokens = typeof value === "string" ? tokenize(value) : [];
    const frequencies = new Map<string, number>();
    for (const token of tokens) frequencies.set(token, (frequencies.get(token) ?? 0) + 1);
    return { doc, length: tokens.length, frequencies };
  });
  const documentFrequency = new Map<string, number>();
  let totalTokens = 0;
  for (const { frequencies, length } of indexed) {
    totalTokens += length;
    for (const term of frequencies.keys()) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  }

  // The index's terms the query names: exact matches first, then the last term's prefix matches
  // in byte order, all within the distinct-term budget the filters share.
  const exact = new Set(terms.filter((term) => documentFrequency.has(term)));
  const filterTerms = new Set(
    filters
      .filter(({ fieldPath, key }) => indexed.some(({ doc }) => valueKey(fieldValue(doc, fieldPath)) === key))
      .map(({ fieldPath, key }) => `${fieldPath}\u0000${key}`),
  );
  // A filter value no document has (or the same filter twice) leaves nothing to match.
  if (filterTerms.size < filters.length) return [];
  const last = terms[terms.length - 1]!;
  const prefixed = [...documentFrequency.keys()]
    .filter((term) => term.startsWith(last) && !exact.has(term))
    .sort(byBytes)
    .slice(0, Math.max(0, MAX_UNIQUE_QUERY_TERMS - exact.size - filterTerms.size));
  const weighted = [
    ...[...exact].map((term) => ({ term, boost: 1 })),
    ...prefixed.map((term) => ({ term, boost: PREFIX_BOOST })),
  ];
  if (weighted.length === 0) return [];

  const documents = Math.max(indexed.length, 1);
  const averageLength = totalTokens / documents;
  const weights = weighted.map(({ term, boost }) => {
    const frequency = documentFrequency.get(term)!;
    const idf = Math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5));
    return { term, weight: boost * idf * (1 + K1) };
  });

  const candidates: Candidate[] = [];
  for (const { doc, length, frequencies } of indexed) {
    if (!filters.every(({ fieldPath, key }) => valueKey(fieldValue(doc, fieldPath)) === key)) continue;
    let score = 0;
    let matched = false;
    const norm = K1 * (1 - B + (B * length) / averageLength);
    for (const { term, weight } of weights) {
      const tf = frequencies.get(term);
      if (tf === undefined) continue;
      matched = true;
      score += (weight * tf) / (tf + norm);
    }
    if (!matched) continue;
    candidates.push({
      doc,
      // Scores are 32-bit floats in the backend; equal ones then fall back to creation time.
      score: Math.fround(score),
      creationTime: doc._creationTime as number,
      id: doc._id as string,
    });
  }
  candidates.sort(compareCandidates);
  return candidates.slice(0, MAX_CANDIDATE_REVISIONS);
}

type Key = Pick<Candidate, "score" | "creationTime" | "id">;

/** Best first: higher score, then newer, then the larger id. */
function compareCandidates(a: Key, b: Key): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.creationTime !== b.creationTime) return b.creationTime - a.creationTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** A cursor in the form the server's other pages use (a JSON list of JSON-encoded keys). */
function encodeCursor({ score, creationTime, id }: Key): string {
  return JSON.stringify([JSON.stringify(score), JSON.stringify(creationTime), JSON.stringify(id)]);
}

function decodeCursor(cursor: string): Key {
  const [score, creationTime, id] = (JSON.parse(cursor) as string[]).map((part) => JSON.parse(part) as unknown);
  if (typeof score !== "number" || typeof creationTime !== "number" || typeof id !== "string") {
    throw new Error("InvalidCursor: this cursor was not made by this query");
  }
  return { score, creationTime, id };
}

function scannedTooMany(): Error {
  return new Error(
    `Search query scanned too many documents (fetched ${MAX_CANDIDATE_REVISIONS}). Consider using a smaller limit, ` +
      "paginating the query, or using a filter field to limit the number of documents pulled from the search index.",
  );
}

/** Search queries for the engine (see `EngineInternals.interceptSearch`). */
export const textSearch: SearchEngine = {
  stream(request) {
    const candidates = rank(request);
    let read = 0;
    let returned = 0;
    return () => {
      for (;;) {
        if (request.limit !== null && returned >= request.limit) return { value: null, done: true };
        if (read === MAX_CANDIDATE_REVISIONS) throw scannedTooMany();
        const candidate = candidates[read];
        if (candidate === undefined) return { value: null, done: true };
        read += 1;
        if (request.filter(candidate.doc)) {
          returned += 1;
          return { value: candidate.doc, done: false };
        }
      }
    };
  },

  page(request, { cursor, endCursor, pageSize }): PageResult {
    const candidates = rank(request);
    const after = cursor === null ? null : cursor === END_CURSOR ? "end" : decodeCursor(cursor);
    const end =
      endCursor === null || endCursor === undefined || endCursor === END_CURSOR ? null : decodeCursor(endCursor);
    const inRange = candidates.filter(
      (candidate) =>
        after !== "end" &&
        (after === null || compareCandidates(candidate, after) > 0) &&
        (end === null || compareCandidates(candidate, end) <= 0),
    );
    const page: Doc[] = [];
    let lastRead: Candidate | undefined;
    let exhausted = false;
    // A page with an end (a subscribed page's journal) runs to it; otherwise it stops when full.
    const bounded = endCursor !== null && endCursor !== undefined;
    for (let read = 0; ; read += 1) {
      if (!bounded && page.length >= pageSize) break;
      if (read === MAX_CANDIDATE_REVISIONS) throw scannedTooMany();
      const candidate = inRange[read];
      if (candidate === undefined) {
        exhausted = true;
        break;
      }
      lastRead = candidate;
      if (request.filter(candidate.doc)) page.push(candidate.doc);
    }
    const continueCursor = exhausted
      ? bounded
        ? endCursor
        : END_CURSOR
      : lastRead === undefined
        ? (cursor ?? END_CURSOR)
        : encodeCursor(lastRead);
    return { page, isDone: continueCursor === END_CURSOR, continueCursor, splitCursor: null, pageStatus: null };
  },
};
