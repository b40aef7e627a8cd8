import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { seedOrg } from "../tests/convex/fixtures";
import { newBackend } from "../tests/convex/setup";
import { api } from "./_generated/api";
import { cleanText } from "./model/text";

/** Characters that draw nothing, listed by hand (not derived from the implementation's rule). */
// prettier-ignore
const INVISIBLE = [
  // zero-width space, non-joiner, joiner, word joiner, BOM, soft hyphen, combining grapheme joiner
  "\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u034F",
  // direction marks (allowed inside a name, but draw nothing)
  "\u200E", "\u200F", "\u061C",
  // invisible operators, Mongolian selectors and vowel separator, Khmer inherent vowels
  "\u2061", "\u2062", "\u2063", "\u2064", "\u180B", "\u180C", "\u180D", "\u180E", "\u180F", "\u17B4", "\u17B5",
  // Hangul fillers and the blank Braille pattern, which render as blank glyphs
  "\u115F", "\u1160", "\u3164", "\uFFA0", "\u2800",
  // variation selectors and tag characters
  "\uFE00", "\uFE0F", "\u{E0100}", "\u{E01EF}", "\u{E0001}", "\u{E0020}", "\u{E0041}", "\u{E007F}",
  // other format characters: interlinear annotation, shorthand, musical and hieroglyph format controls
  "\uFFF9", "\uFFFB", "\u{1BCA0}", "\u{1D173}", "\u{13430}",
  // whitespace of every kind, and control characters
  " ", "\t", "\n", "\r", "\u00A0", "\u1680", "\u2000", "\u2007", "\u200A", "\u2028", "\u2029", "\u202F",
  "\u205F", "\u3000", "\u0085", "\u0000", "\u0007", "\u001B", "\u007F", "\u009B",
  // combining marks with no base character
  "\u0301", "\u0308", "\u20D7",
];
/** Embedding, override and isolate controls. */
const BIDI = ["\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069"];
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
/** Characters that draw a glyph. */
const VISIBLE = ["a", "Z", "7", "é", "中", "ש", "ب", "😀", "❤", "-", "#", "€", "\uE000"];

const anyOf = (chars: string[]) => fc.constantFrom(...chars);
/** Mostly invisible characters, some controls, now and then a visible one. */
const mixedName = fc
  .array(
    fc.oneof(
      { arbitrary: anyOf(INVISIBLE), weight: 8 },
      { arbitrary: anyOf(BIDI), weight: 1 },
      { arbitrary: anyOf(VISIBLE), weight: 1 },
    ),
    { maxLength: 12 },
  )
  .map((chars) => chars.join(""));

const draws = (text: string) => [...text].some((ch) => VISIBLE.includes(ch));

/** What `cleanText` answers: the cleaned text, or the refusal's data. */
type Attempt = { accepted: string } | { refused: { code: string; message: string } };

function attempt(value: string, options: { max: number; allowEmpty?: boolean } = { max: 200 }): Attempt {
  try {
    return { accepted: cleanText(value, "Project name", options) };
  } catch (error) {
    return { refused: (error as { data: { code: string; message: string } }).data };
  }
}

describe("cleanText", () => {
  it("accepts no name that is visually blank or carries a bidi control (property, seeded)", () => {
    fc.assert(
      fc.property(mixedName, (value) => {
        const result = attempt(value);
        if ("accepted" in result) {
          expect(BIDI_CONTROL.test(result.accepted)).toBe(false);
          expect(draws(result.accepted)).toBe(true);
        } else {
          expect(result.refused).toMatchObject({ code: "INVALID", message: expect.stringMatching(/^Project name /) });
        }
      }),
      { numRuns: 3_000, seed: 20_261_101 },
    );
  });

  it("accepts no arbitrary Unicode string that draws nothing or carries a bidi control (property, seeded)", () => {
    // The categories that draw nothing on their own, written as a removal (the rule tests for a drawing character).
    const drawsNothing = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{M}\p{Cs}\u2800]/u;
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 16 }), (value) => {
        const result = attempt(value);
        if ("accepted" in result) {
          expect(BIDI_CONTROL.test(result.accepted)).toBe(false);
          expect([...result.accepted].some((ch) => !drawsNothing.test(ch))).toBe(true);
        }
      }),
      { numRuns: 2_000, seed: 7 },
    );
  });

  it("refuses every name made only of invisible characters, and empties such a description", () => {
    fc.assert(
      fc.property(fc.array(anyOf(INVISIBLE), { minLength: 1, maxLength: 10 }), (chars) => {
        expect(attempt(chars.join(""))).toMatchObject({ refused: { code: "INVALID" } });
        expect(attempt(chars.join(""), { max: 200, allowEmpty: true })).toEqual({ accepted: "" });
      }),
      { numRuns: 1_000, seed: 11 },
    );
  });

  it("keeps names that draw something, with their joiners, marks and selectors", () => {
    fc.assert(
      fc.property(
        fc.array(anyOf(INVISIBLE.filter((ch) => ch.trim() === ch)), { maxLength: 4 }),
        anyOf(VISIBLE),
        (invisible, visible) => {
          const name = `${invisible.join("")}${visible}${invisible.join("")}`;
          expect(attempt(name)).toEqual({ accepted: name });
        },
      ),
      { numRuns: 500, seed: 3 },
    );
    for (const name of ["Café ☕", "שלום עולם", "\u200Fשלום", "名前", "❤️", "👩‍💻 Dev", "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Team", "a\u200Db"]) {
      expect(attempt(name)).toEqual({ accepted: name });
    }
  });

  it("names the field and says what is wrong", () => {
    expect(attempt("\u200B\u200D\uFE0F")).toEqual({
      refused: {
        code: "INVALID",
        message: "Project name must not be blank: it has only invisible characters, such as zero-width spaces.",
      },
    });
    expect(attempt("invoice\u202Efdp.exe")).toEqual({
      refused: {
        code: "INVALID",
        message:
          "Project name must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069): they change how the text around them displays.",
      },
    });
    expect(attempt("   ")).toEqual({ refused: { code: "INVALID", message: "Project name must not be empty." } });
  });
});

describe("names through the public functions", () => {
  it("refuse invisible and bidi-controlled project names and task titles, naming the field", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    const cases: [string, () => Promise<unknown>][] = [
      ["Project name", () => a.as.admin.mutation(api.projects.create, { name: "\u200B\u200C\u2060" })],
      ["Project name", () => a.as.admin.mutation(api.projects.create, { name: "Roadmap\u2066" })],
      ["Project name", () => a.as.admin.mutation(api.projects.rename, { id: a.projectId, name: "\u3164\uFE0F" })],
      ["Project name", () => a.as.admin.mutation(api.projects.rename, { id: a.projectId, name: "\u202Dtxt.exe" })],
      [
        "Task title",
        () => a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: "\u{E0020}\u180E" }),
      ],
      ["Task title", () => a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: "Pay \u202E01$" })],
      ["Task title", () => a.as.member.mutation(api.tasks.update, { id: a.taskIds[0]!, title: "\u2800\u00AD" })],
      ["Task title", () => a.as.member.mutation(api.tasks.update, { id: a.taskIds[0]!, title: "x\u2067y" })],
      [
        "Task description",
        () => a.as.member.mutation(api.tasks.update, { id: a.taskIds[0]!, description: "see \u202Eevil" }),
      ],
    ];
    for (const [field, call] of cases) {
      await expect(call()).rejects.toMatchObject({
        data: { code: "INVALID", message: expect.stringMatching(new RegExp(`^${field} must not`)) },
      });
    }
    // A description that draws nothing is no description.
    await a.as.member.mutation(api.tasks.update, { id: a.taskIds[0]!, description: "\u200B\u200B" });
    expect(await a.as.viewer.query(api.tasks.get, { id: a.taskIds[0]! })).not.toHaveProperty("description");
  });

  it("store only names that draw something and carry no bidi control (property, seeded)", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await fc.assert(
      fc.asyncProperty(mixedName, async (name) => {
        let id;
        try {
          id = await a.as.admin.mutation(api.projects.create, { name });
        } catch (error) {
          expect(error).toMatchObject({ data: { code: "INVALID" } });
          return;
        }
        const stored = (await a.as.viewer.query(api.projects.get, { id }))!.name;
        expect(BIDI_CONTROL.test(stored)).toBe(false);
        expect(draws(stored)).toBe(true);
      }),
      { numRuns: 150, seed: 5 },
    );
  });
});
