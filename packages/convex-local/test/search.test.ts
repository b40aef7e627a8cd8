// @vitest-environment node
/**
 * Full text search (`withSearchIndex`) as a Convex deployment answers it. Sources: Convex's docs
 * "Full Text Search" (relevance order, newest first on equal scores, prefix search on the final
 * term only, no typo tolerance, SimpleTokenizer, the limits); convex-backend
 * crates/search/src/constants.rs (16 terms, 32-byte terms, 1024 candidates, 8 filters),
 * crates/search/src/lib.rs (`compile`: which terms are used and the errors; BM25 with prefix
 * matches at half weight) and crates/database/src/query/search_query.rs (the 1024-result error).
 */
import { makeFunctionReference, type PaginationOptions, type PaginationResult } from "convex/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenize } from "../src/search";
import { httpClient, simpleClient, startFixture, watch } from "./support";

type SearchArgs = {
  text: string;
  author?: string;
  repeat?: number;
  year?: number | null;
  take?: number;
  field?: string;
};
const add = makeFunctionReference<"mutation", { bodies: string[]; author?: string; year?: number }, null>(
  "articles:add",
);
const search = makeFunctionReference<"query", SearchArgs, string[]>("articles:search");
const page = makeFunctionReference<
  "query",
  { text: string; paginationOpts: PaginationOptions },
  PaginationResult<string>
>("articles:page");

let fixture: Awaited<ReturnType<typeof startFixture>>;
let client: ReturnType<typeof httpClient>;
beforeAll(async () => {
  fixture = await startFixture();
  client = httpClient(fixture.server.url);
});
afterAll(async () => {
  await fixture.close();
});

/** Each test uses words of its own, so the tests share one table. */
const find = (args: SearchArgs) => client.query(search, args);

describe("tokenizer", () => {
  it("splits on anything but letters and digits, lowercases, and drops terms of 32 bytes or more", () => {
    expect(tokenize("Hello, WORLD! e-mail foo_bar 3.14 naïve ÉTÉ")).toEqual([
      "hello",
      "world",
      "e",
      "mail",
      "foo",
      "bar",
      "3",
      "14",
      "naïve",
      "été",
    ]);
    expect(tokenize(`${"a".repeat(31)} ${"b".repeat(32)} ${"é".repeat(16)}`)).toEqual(["a".repeat(31)]);
  });
});

describe("withSearchIndex", () => {
  it("returns results in relevance order, not insertion order", async () => {
    await client.mutation(add, {
      bodies: ["a long note about kittens and other pets", "kittens kittens kittens", "puppies only here", "Kittens!"],
    });
    // Three mentions in a short text, then one in a one-word text, then one in a long text.
    expect(await find({ text: "kittens" })).toEqual([
      "kittens kittens kittens",
      "Kittens!",
      "a long note about kittens and other pets",
    ]);
  });

  it("returns the newest first when scores are equal", async () => {
    await client.mutation(add, { bodies: ["walrus one"] });
    await client.mutation(add, { bodies: ["walrus two"] });
    expect(await find({ text: "walrus" })).toEqual(["walrus two", "walrus one"]);
  });

  it("matches words split by punctuation, in any case", async () => {
    await client.mutation(add, { bodies: ["hello,galaxy", "send an e-mailbox note"] });
    expect(await find({ text: "GALAXY" })).toEqual(["hello,galaxy"]);
    expect(await find({ text: "mailbox" })).toEqual(["send an e-mailbox note"]);
    expect(await find({ text: "hello,galaxy" })).toEqual(["hello,galaxy"]);
  });

  it("prefix-matches the last term only; the others must match whole words", async () => {
    await client.mutation(add, { bodies: ["catalogue entry", "doghouse plans"] });
    expect(await find({ text: "catalog dog" })).toEqual(["doghouse plans"]);
    expect(await find({ text: "dog catalog" })).toEqual(["catalogue entry"]);
    expect(await find({ text: "catalogue doghouse" })).toHaveLength(2);
  });

  it("ranks a whole-word match above a prefix match", async () => {
    await client.mutation(add, { bodies: ["marble"] });
    await client.mutation(add, { bodies: ["marbles"] });
    await client.mutation(add, { bodies: ["marblestone"] });
    // Newest first would be the reverse; the exact match wins, then the prefix matches by age.
    expect(await find({ text: "marble" })).toEqual(["marble", "marblestone", "marbles"]);
  });

  it("has no typo tolerance", async () => {
    await client.mutation(add, { bodies: ["giraffe"] });
    expect(await find({ text: "girafe" })).toEqual([]);
    expect(await find({ text: "giraffe" })).toEqual(["giraffe"]);
  });

  it("filters with .eq on the filter fields, undefined meaning the field is missing", async () => {
    await client.mutation(add, { bodies: ["otter by bo"], author: "bo", year: 2020 });
    await client.mutation(add, { bodies: ["otter by cy"], author: "cy", year: 2021 });
    await client.mutation(add, { bodies: ["otter by cy, undated"], author: "cy" });
    // The shorter text ranks first.
    expect(await find({ text: "otter", author: "cy" })).toEqual(["otter by cy", "otter by cy, undated"]);
    expect(await find({ text: "otter", author: "cy", year: 2021 })).toEqual(["otter by cy"]);
    expect(await find({ text: "otter", year: null })).toEqual(["otter by cy, undated"]);
    expect(await find({ text: "otter", author: "nobody" })).toEqual([]);
  });

  it("refuses a search on another field than the index's searchField", async () => {
    await expect(find({ text: "otter", field: "author" })).rejects.toThrow(
      /Search query against articles.search_body contains a search filter against "author", which doesn't match the indexed `searchField` "body"/,
    );
  });

  it("uses the first 16 terms of a query and ignores the rest", async () => {
    await client.mutation(add, { bodies: ["aardvark", "zebu"] });
    const filler = Array.from({ length: 15 }, (_, i) => `nothing${i}`).join(" ");
    expect(await find({ text: `${filler} aardvark zebu` })).toEqual(["aardvark"]);
    expect(await find({ text: `${filler} zebu aardvark` })).toEqual(["zebu"]);
  });

  it("never matches terms of 32 bytes or more", async () => {
    const short = "q".repeat(31);
    const long = "v".repeat(32);
    await client.mutation(add, { bodies: [`${short} ${long}`] });
    expect(await find({ text: "qqq" })).toEqual([`${short} ${long}`]);
    expect(await find({ text: "vvv" })).toEqual([]);
    expect(await find({ text: long })).toEqual([]);
  });

  it("refuses more than 8 filter expressions", async () => {
    await expect(find({ text: "otter", author: "cy", repeat: 9 })).rejects.toThrow(
      /Search query against articles.search_body has too many filter conditions. Max: 8 Actual: 9/,
    );
  });

  it("reads at most 1024 results: collect() of more throws, take() and pages do not", async () => {
    await client.mutation(add, { bodies: Array.from({ length: 1030 }, (_, i) => `bulk item ${i}`) });
    await expect(find({ text: "bulk" })).rejects.toThrow(
      /Search query scanned too many documents \(fetched 1024\)\. Consider using a smaller limit, paginating the query, or using a filter field/,
    );
    expect(await find({ text: "bulk", take: 1024 })).toHaveLength(1024);
    expect(await find({ text: "bulk", take: 10 })).toHaveLength(10);
  });

  it("paginates in relevance order", async () => {
    await client.mutation(add, {
      bodies: ["lemur", "lemur lemur", "a lemur among many other words", "lemur lemur lemur", "lemur and friends"],
    });
    const all = await find({ text: "lemur" });
    const pages: string[] = [];
    let cursor: string | null = null;
    for (let turn = 0; turn < 5; turn += 1) {
      const result: PaginationResult<string> = await client.query(page, {
        text: "lemur",
        paginationOpts: { numItems: 2, cursor },
      });
      pages.push(...result.page);
      cursor = result.continueCursor;
      if (result.isDone) break;
    }
    expect(pages).toEqual(all);
    expect(all).toHaveLength(5);
    expect(all[0]).toBe("lemur lemur lemur");
  });

  it("sends a subscriber the new order when a better match is written", async () => {
    await client.mutation(add, { bodies: ["a wombat in a very long sentence about many things"] });
    const { client: live } = simpleClient(fixture.server.url);
    try {
      const seen = watch<string[]>((onValue, onError) => live.onUpdate(search, { text: "wombat" }, onValue, onError));
      await seen.until((value) => value.length === 1, "the first result");
      await client.mutation(add, { bodies: ["wombat"] });
      const updated = await seen.until((value) => value.length === 2, "the result with the new article");
      expect(updated).toEqual(["wombat", "a wombat in a very long sentence about many things"]);
    } finally {
      await live.close();
    }
  });
});
