import { appError } from "./errors";

/**
 * Embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): they reorder the text
 * around them, so "invoice\u202Efdp.exe" displays as "invoiceexe.pdf". The direction marks U+200E,
 * U+200F and U+061C only hint and stay allowed.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/u;

/**
 * A character that draws something: a letter, digit, punctuation, symbol, private-use glyph or one
 * this runtime does not know yet (a newer emoji), but not one Unicode marks as ignorable when
 * rendering (zero-width spaces and joiners, variation selectors, tag characters, Hangul fillers…),
 * nor the blank Braille pattern. Whitespace, format and control characters and combining marks on
 * their own draw nothing.
 */
const VISIBLE = /(?![\p{Default_Ignorable_Code_Point}\u2800])[\p{L}\p{N}\p{P}\p{S}\p{Co}\p{Cn}]/u;

/**
 * Trims a user-entered string and checks it, naming the field in the error: no bidirectional
 * controls, at least one visible character (else it is empty, or refused when it may not be), and
 * at most `max` characters.
 */
export function cleanText(value: string, field: string, options: { max: number; allowEmpty?: boolean }): string {
  if (BIDI_CONTROLS.test(value)) {
    throw appError(
      "INVALID",
      `${field} must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069): they change how the text around them displays.`,
    );
  }
  const text = value.trim();
  if (text.length === 0) {
    if (options.allowEmpty === true) return "";
    throw appError("INVALID", `${field} must not be empty.`);
  }
  if (!VISIBLE.test(text)) {
    if (options.allowEmpty === true) return "";
    throw appError(
      "INVALID",
      `${field} must not be blank: it has only invisible characters, such as zero-width spaces.`,
    );
  }
  if (text.length > options.max) {
    throw appError("INVALID", `${field} must be at most ${options.max} characters (got ${text.length}).`);
  }
  return text;
}
