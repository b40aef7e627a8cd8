/**
 * Cron expressions as a Convex deployment reads and runs them (convex-backend
 * crates/model/src/cron_jobs/types.rs and next_ts.rs): five fields, minute hour day-of-month month
 * day-of-week, in UTC, parsed by Convex's fork of saffron (github.com/get-convex/saffron). That
 * grammar is not cron-parser's, so it is checked here first:
 * - no seconds field, no `?`, no `H`, no `@daily`-style macros, fields separated by spaces or tabs;
 * - day of week 0-6 (Sunday 0; 7 is refused) or SUN-SAT, months 1-12 or JAN-DEC;
 * - ranges may wrap (`22-2`, `FRI-MON`), steps run from 1 to the field's span;
 * - `L`, `L-3`, `LW`, `L-3W` and `15W` in the day of month, `5L` and `MON#2` in the day of week;
 * - when both day fields are restricted, a day matching either runs (a plain `*` restricts nothing).
 * The next run is then cron-parser's answer for the same schedule in plain cron (`tz: "UTC"`); the
 * day-of-month forms it lacks (`W`, `LW`, `L-n`) name at most a day or two of each month, so those
 * months are asked one at a time with their days spelled out.
 */
import { CronExpressionParser } from "cron-parser";

/** What the backend's parser answers for an expression it cannot read. */
export class CronExpressionError extends Error {
  constructor(readonly expression: string) {
    super("Failed to parse cron expression");
    this.name = "CronExpressionError";
  }
}

type Unit = { min: number; max: number; names?: readonly string[]; firstName?: number };

const MINUTES: Unit = { min: 0, max: 59 };
const HOURS: Unit = { min: 0, max: 23 };
const DAYS_OF_MONTH: Unit = { min: 1, max: 31 };
const MONTHS: Unit = {
  min: 1,
  max: 12,
  names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  firstName: 1,
};
const DAYS_OF_WEEK: Unit = {
  min: 0,
  max: 6,
  names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
  firstName: 0,
};
/** `L-n` offsets and `#n` ordinals, as the backend's parser bounds them. */
const MAX_LAST_OFFSET = 30;
const MAX_NTH = 5;

type Item = { start: number; end: number; step: number };

export type DayOfMonthField =
  | { kind: "every" }
  | { kind: "days"; days: number[] }
  /** `L` (offset 0) or `L-n`: the month's last day, or n days before it. */
  | { kind: "last"; offset: number }
  /** `LW` or `L-nW`: the weekday nearest that day. */
  | { kind: "lastWeekday"; offset: number }
  /** `nW`: the weekday nearest the n-th. */
  | { kind: "nearestWeekday"; day: number };

export type DayOfWeekField =
  | { kind: "every" }
  | { kind: "days"; days: number[] }
  /** `5L`: the month's last Friday. */
  | { kind: "last"; day: number }
  /** `1#2`: the month's second Monday. */
  | { kind: "nth"; day: number; nth: number };

/** A parsed expression; null fields are `*`. */
export type CronExpression = {
  text: string;
  minutes: number[] | null;
  hours: number[] | null;
  daysOfMonth: DayOfMonthField;
  months: number[] | null;
  daysOfWeek: DayOfWeekField;
};

class Reader {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly expression: string,
  ) {}

  fail(): never {
    throw new CronExpressionError(this.expression);
  }

  eat(char: string): boolean {
    if (this.text[this.at] !== char) return false;
    this.at += 1;
    return true;
  }

  end(): void {
    if (this.at !== this.text.length) this.fail();
  }

  /** A decimal number (it must fit a byte, as the backend reads one) within `min`–`max`. */
  number(min: number, max: number): number {
    const digits = /^[0-9]+/.exec(this.text.slice(this.at))?.[0];
    if (digits === undefined) this.fail();
    this.at += digits.length;
    const value = Number(digits);
    if (value > 255 || value < min || value > max) this.fail();
    return value;
  }

  /** A number, or one of the unit's three-letter names (any case). */
  value(unit: Unit): number {
    if (/^[0-9]/.test(this.text.slice(this.at))) return this.number(unit.min, unit.max);
    const word = this.text.slice(this.at, this.at + 3).toUpperCase();
    const index = unit.names?.indexOf(word) ?? -1;
    if (index === -1) this.fail();
    this.at += 3;
    return index + (unit.firstName ?? 0);
  }

  step(unit: Unit): number {
    return this.number(1, unit.max - unit.min);
  }
}

/** One comma-separated item: `5`, `*` (the unit's first value), `5/10`, `5-20`, `5-20/3`. */
function item(reader: Reader, unit: Unit, value: () => number): Item {
  return itemFrom(reader, unit, value, reader.eat("*") ? unit.min : value());
}

/** The rest of an item whose first value, `start`, was read: `/10`, `-20`, `-20/3`, or nothing. */
function itemFrom(reader: Reader, unit: Unit, value: () => number, start: number): Item {
  if (reader.eat("/")) return { start, end: unit.max, step: reader.step(unit) };
  if (reader.eat("-")) {
    const end = value();
    return { start, end, step: reader.eat("/") ? reader.step(unit) : 1 };
  }
  return { start, end: start, step: 1 };
}

function tail(reader: Reader, unit: Unit, value: () => number, items: Item[]): Item[] {
  while (reader.eat(",")) items.push(item(reader, unit, value));
  reader.end();
  return items;
}

/** The values items name; a range whose end comes before its start wraps around the unit. */
function expand(items: Item[], unit: Unit): number[] {
  const values = new Set<number>();
  const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  for (const { start, end, step } of items) {
    const sequence = start <= end ? span(start, end) : [...span(start, unit.max), ...span(unit.min, end)];
    for (let i = 0; i < sequence.length; i += step) values.add(sequence[i]!);
  }
  return [...values].sort((a, b) => a - b);
}

/**
 * A field that opens with `*`: null for `*` alone (every value); for a step from the start (`*`
 * then `/n`), its values and those of the items after it; undefined when the field does not open
 * with `*`.
 */
function starred(reader: Reader, unit: Unit, value: () => number): number[] | null | undefined {
  if (!reader.eat("*")) return undefined;
  if (!reader.eat("/")) {
    reader.end();
    return null;
  }
  return expand(tail(reader, unit, value, [{ start: unit.min, end: unit.max, step: reader.step(unit) }]), unit);
}

/** Minutes, hours and months: `*`, a step from the start (`*` then `/n`), and lists of items. */
function plainField(text: string, unit: Unit, expression: string): number[] | null {
  const reader = new Reader(text, expression);
  const value = () => reader.value(unit);
  const star = starred(reader, unit, value);
  if (star !== undefined) return star;
  return expand(tail(reader, unit, value, [item(reader, unit, value)]), unit);
}

function dayOfMonthField(text: string, expression: string): DayOfMonthField {
  const unit = DAYS_OF_MONTH;
  const reader = new Reader(text, expression);
  const value = () => reader.number(unit.min, unit.max);
  const star = starred(reader, unit, value);
  if (star !== undefined) return star === null ? { kind: "every" } : { kind: "days", days: star };
  if (reader.eat("L")) {
    let field: DayOfMonthField;
    if (reader.eat("-")) {
      const offset = reader.number(1, MAX_LAST_OFFSET);
      field = reader.eat("W") ? { kind: "lastWeekday", offset } : { kind: "last", offset };
    } else {
      field = reader.eat("W") ? { kind: "lastWeekday", offset: 0 } : { kind: "last", offset: 0 };
    }
    reader.end();
    return field;
  }
  const day = value();
  if (reader.eat("W")) {
    reader.end();
    return { kind: "nearestWeekday", day };
  }
  return { kind: "days", days: expand(tail(reader, unit, value, [itemFrom(reader, unit, value, day)]), unit) };
}

function dayOfWeekField(text: string, expression: string): DayOfWeekField {
  const unit = DAYS_OF_WEEK;
  const reader = new Reader(text, expression);
  const value = () => reader.value(unit);
  const star = starred(reader, unit, value);
  if (star !== undefined) return star === null ? { kind: "every" } : { kind: "days", days: star };
  // A bare `L` is the week's last day, Saturday.
  if (reader.eat("L")) {
    reader.end();
    return { kind: "days", days: [6] };
  }
  const day = value();
  if (reader.eat("L")) {
    reader.end();
    return { kind: "last", day };
  }
  if (reader.eat("#")) {
    const nth = reader.number(1, MAX_NTH);
    reader.end();
    return { kind: "nth", day, nth };
  }
  return { kind: "days", days: expand(tail(reader, unit, value, [itemFrom(reader, unit, value, day)]), unit) };
}

/** Reads an expression as a deployment does; throws `CronExpressionError` where it refuses one. */
export function parseCronExpression(text: string): CronExpression {
  if (!/^[^ \t]+([ \t]+[^ \t]+){4}$/.test(text)) throw new CronExpressionError(text);
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = text.split(/[ \t]+/) as [
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    text,
    minutes: plainField(minutes, MINUTES, text),
    hours: plainField(hours, HOURS, text),
    daysOfMonth: dayOfMonthField(daysOfMonth, text),
    months: plainField(months, MONTHS, text),
    daysOfWeek: dayOfWeekField(daysOfWeek, text),
  };
}

/**
 * Whether the expression names any time, as the backend checks before it accepts a push ("will
 * never match any time"): only a day of month no selected month has, with any day of week, fails.
 */
export function cronCanMatch(cron: CronExpression): boolean {
  const dom = cron.daysOfMonth;
  if (cron.daysOfWeek.kind !== "every" || dom.kind === "every" || dom.kind === "nearestWeekday") return true;
  let first: number;
  if (dom.kind === "days") first = dom.days[0]!;
  else if (dom.offset === 0) return true;
  else first = dom.offset + 1;
  const months = cron.months ?? [1];
  const longest = months.some((m) => [1, 3, 5, 7, 8, 10, 12].includes(m))
    ? 31
    : months.some((m) => [4, 6, 9, 11].includes(m))
      ? 30
      : 29;
  return first <= longest;
}

const list = (values: number[] | null) => (values === null ? "*" : values.join(","));

function dayOfWeekText(field: DayOfWeekField): string {
  switch (field.kind) {
    case "every":
      return "*";
    case "days":
      return field.days.join(",");
    case "last":
      return `${field.day}L`;
    case "nth":
      return `${field.day}#${field.nth}`;
  }
}

/** cron-parser's next time strictly after `after` (and up to `end`), or null when there is none. */
function nextFromParser(expression: string, after: number, end?: number): number | null {
  try {
    const interval = CronExpressionParser.parse(expression, {
      currentDate: new Date(after),
      ...(end !== undefined && { endDate: new Date(end) }),
      tz: "UTC",
    });
    return interval.next().getTime();
  } catch {
    return null;
  }
}

/** The days of one month a `W`, `LW` or `L-n` field names, decided as the backend's parser decides them. */
function daysOfMonthIn(field: DayOfMonthField, year: number, month: number): number[] {
  const length = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const days: number[] = [];
  for (let day = 1; day <= length; day += 1) {
    const weekday = new Date(Date.UTC(year, month, day)).getUTCDay();
    const isWeekday = weekday !== 0 && weekday !== 6;
    const monday = weekday === 1;
    const friday = weekday === 5;
    let matches = false;
    switch (field.kind) {
      case "last":
        matches = day + field.offset === length;
        break;
      case "lastWeekday":
        if (field.offset === 0) matches = (isWeekday && day === length) || (friday && length - day < 3);
        else {
          const target = day + field.offset;
          matches =
            (isWeekday && target === length) ||
            (monday && target >= length && target - length < 3) ||
            (friday && target + 1 === length);
        }
        break;
      case "nearestWeekday": {
        const expected = field.day;
        matches =
          (isWeekday && day === expected) ||
          (monday && day - 1 === expected) ||
          (monday && day === 3 && expected === 1) ||
          (friday && day + 1 === expected) ||
          (friday && day + 2 === expected && expected === length);
        break;
      }
      default:
        break;
    }
    if (matches) days.push(day);
  }
  return days;
}

/** How far ahead a schedule is searched: a 29 February with a given weekday can be 28 years off. */
const MONTHS_AHEAD = 12 * 29;

/** The first time after `after` (milliseconds, UTC) the expression names, or null if it names none. */
export function nextCronTime(cron: CronExpression, after: number): number | null {
  const minutes = list(cron.minutes);
  const hours = list(cron.hours);
  const daysOfWeek = dayOfWeekText(cron.daysOfWeek);
  const dom = cron.daysOfMonth;
  if (dom.kind === "every" || dom.kind === "days" || (dom.kind === "last" && dom.offset === 0)) {
    const days = dom.kind === "every" ? "*" : dom.kind === "days" ? dom.days.join(",") : "L";
    return nextFromParser(`${minutes} ${hours} ${days} ${list(cron.months)} ${daysOfWeek}`, after);
  }
  const start = new Date(after);
  for (let ahead = 0; ahead < MONTHS_AHEAD; ahead += 1) {
    const first = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + ahead, 1);
    const monthStart = new Date(first);
    const year = monthStart.getUTCFullYear();
    const month = monthStart.getUTCMonth();
    if (cron.months !== null && !cron.months.includes(month + 1)) continue;
    const days = daysOfMonthIn(dom, year, month);
    // No day of the month named: only the day of week can run it, as `*` with a weekday says.
    if (days.length === 0 && cron.daysOfWeek.kind === "every") continue;
    const text = `${minutes} ${hours} ${days.length === 0 ? "*" : days.join(",")} ${month + 1} ${daysOfWeek}`;
    const last = Date.UTC(year, month + 1, 1) - 1;
    const next = nextFromParser(text, Math.max(after, first - 1), last);
    if (next !== null) return next;
  }
  return null;
}
