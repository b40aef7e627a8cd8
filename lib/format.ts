import type { Doc } from "@/convex/_generated/dataModel";

export type TaskStatus = Doc<"tasks">["status"];

export { TASK_STATUSES } from "@/convex/model/validators";

export const STATUS_LABELS: Record<TaskStatus, string> = {
  todo: "To do",
  in_progress: "In progress",
  done: "Done",
};

export function isTaskStatus(value: string | undefined): value is TaskStatus {
  return value === "todo" || value === "in_progress" || value === "done";
}

/** "To do" for a status the backend wrote into the activity feed; the raw text for anything else. */
export function statusLabel(value: string | undefined): string {
  return isTaskStatus(value) ? STATUS_LABELS[value] : (value ?? "");
}

/** Readable role names: `org:admin` → "Admin". */
export function roleLabel(role: string): string {
  const name = role.replace(/^org:/, "").replace(/[_-]+/g, " ");
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Up to two initials for an avatar fallback. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0]![0], parts[parts.length - 1]![0]] : [parts[0]?.[0], parts[0]?.[1]];
  return letters.filter(Boolean).join("").toUpperCase() || "?";
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 60 * 60 * 1000],
  ["month", 30 * 24 * 60 * 60 * 1000],
  ["week", 7 * 24 * 60 * 60 * 1000],
  ["day", 24 * 60 * 60 * 1000],
  ["hour", 60 * 60 * 1000],
  ["minute", 60 * 1000],
];

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const absolute = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

/** "5 minutes ago", "yesterday", "just now". */
export function formatRelative(time: number, now: number = Date.now()): string {
  const diff = time - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return relative.format(Math.round(diff / ms), unit);
  }
  return "just now";
}

export function formatAbsolute(time: number): string {
  return absolute.format(time);
}

/** "1 task" / "3 tasks". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString("en")} ${count === 1 ? one : many}`;
}

const weekday = new Intl.DateTimeFormat("en", { weekday: "long", month: "long", day: "numeric" });
const withYear = new Intl.DateTimeFormat("en", { month: "long", day: "numeric", year: "numeric" });

function startOfDay(time: number): number {
  const date = new Date(time);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/** "Today", "Yesterday", "Monday, November 3", or with the year when it is not this year's. */
export function formatDay(time: number, now: number = Date.now()): string {
  const days = Math.round((startOfDay(now) - startOfDay(time)) / (24 * 60 * 60 * 1000));
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  return new Date(time).getFullYear() === new Date(now).getFullYear() ? weekday.format(time) : withYear.format(time);
}
