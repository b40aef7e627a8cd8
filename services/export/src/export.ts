/**
 * The export itself: the organization's projects (active, then archived) and each project's tasks,
 * read page by page through `/api/v1` as the caller and written out as they arrive, as CSV or as
 * one JSON document. At most one page is held at a time, whatever the organization's size.
 *
 * It is not a snapshot: each page is its own query, so a task moved or deleted while the export
 * runs may appear in its old place, its new one, or not at all.
 */
import { ApiError, pages, type ApiClient, type Project, type Task } from "@tenant-workspace/api-client";

export const FORMATS = ["csv", "json"] as const;
export type Format = (typeof FORMATS)[number];

/** Rows per request: the API's largest page. */
export const PAGE_SIZE = 100;

export const CONTENT_TYPES: Record<Format, string> = {
  csv: "text/csv; charset=utf-8; header=present",
  json: "application/json; charset=utf-8",
};

type Item =
  | { kind: "project"; project: Project }
  | { kind: "tasks"; project: Project; tasks: Task[] }
  | { kind: "projectEnd"; project: Project };

/** The organization's records in export order, one API page at a time. */
async function* walk(api: ApiClient): AsyncGenerator<Item, void, undefined> {
  for (const status of ["active", "archived"] as const) {
    for await (const projects of pages<Project>((cursor) =>
      api.GET("/projects", { params: { query: { status, limit: PAGE_SIZE, cursor } } }),
    )) {
      for (const project of projects) {
        yield { kind: "project", project };
        try {
          for await (const tasks of pages<Task>((cursor) =>
            api.GET("/projects/{id}/tasks", {
              params: { path: { id: project._id }, query: { limit: PAGE_SIZE, cursor } },
            }),
          )) {
            if (tasks.length > 0) yield { kind: "tasks", project, tasks };
          }
        } catch (error) {
          // Deleted since it was listed: its tasks are going too.
          if (!(error instanceof ApiError && error.code === "NOT_FOUND")) throw error;
        }
        yield { kind: "projectEnd", project };
      }
    }
  }
}

/** Counts what was written, for the log line. */
export type ExportStats = { projects: number; tasks: number; bytes: number };

type Encoder = { start: string; item: (item: Item) => string; end: string };

const CSV_COLUMNS = [
  "record",
  "project_id",
  "project_name",
  "project_status",
  "task_id",
  "task_title",
  "task_status",
  "task_position",
  "task_description",
  "assignee_id",
  "assignee_name",
  "created_at",
  "updated_at",
] as const;

/**
 * One CSV field (RFC 4180). Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
 * carriage return first) gets a leading `'`: titles are user input (OWASP "CSV injection").
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const iso = (ms: number) => new Date(ms).toISOString();

function csvEncoder(stats: ExportStats): Encoder {
  const line = (row: Record<(typeof CSV_COLUMNS)[number], string | number | null | undefined>) =>
    `${CSV_COLUMNS.map((column) => csvField(row[column])).join(",")}\r\n`;
  const projectColumns = (project: Project) => ({
    project_id: project._id,
    project_name: project.name,
    project_status: project.status,
  });
  return {
    start: `${CSV_COLUMNS.join(",")}\r\n`,
    item(item) {
      switch (item.kind) {
        case "project":
          stats.projects += 1;
          return line({
            record: "project",
            ...projectColumns(item.project),
            task_id: null,
            task_title: null,
            task_status: null,
            task_position: null,
            task_description: null,
            assignee_id: null,
            assignee_name: null,
            created_at: iso(item.project._creationTime),
            updated_at: iso(item.project.updatedAt),
          });
        case "tasks":
          stats.tasks += item.tasks.length;
          return item.tasks
            .map((task) =>
              line({
                record: "task",
                ...projectColumns(item.project),
                task_id: task._id,
                task_title: task.title,
                task_status: task.status,
                task_position: task.position,
                task_description: task.description,
                assignee_id: task.assignee?._id,
                assignee_name: task.assignee?.name,
                created_at: iso(task._creationTime),
                updated_at: iso(task.updatedAt),
              }),
            )
            .join("");
        case "projectEnd":
          return "";
      }
    },
    end: "",
  };
}

/**
 * One JSON document, `{ organization, exportedAt, projects: [{ ...project, tasks: [...] }] }`,
 * written as it goes: each project opens its `tasks` array, and its end closes it.
 */
function jsonEncoder(stats: ExportStats, header: Record<string, unknown>): Encoder {
  let firstProject = true;
  let firstTask = true;
  return {
    start: `${JSON.stringify(header).slice(0, -1)},"projects":[`,
    item(item) {
      switch (item.kind) {
        case "project": {
          stats.projects += 1;
          const open = `${firstProject ? "\n" : ",\n"}${JSON.stringify(item.project).slice(0, -1)},"tasks":[`;
          firstProject = false;
          firstTask = true;
          return open;
        }
        case "tasks": {
          stats.tasks += item.tasks.length;
          const text = `${firstTask ? "\n" : ",\n"}${item.tasks.map((task) => JSON.stringify(task)).join(",\n")}`;
          firstTask = false;
          return text;
        }
        case "projectEnd":
          return "]}";
      }
    },
    end: "\n]}\n",
  };
}

export type ExportHeader = { organization: { id: string; slug: string | null }; exportedBy: string };

/** Project rows without tasks are sent once this much text has gathered. */
const FLUSH_AT = 64 * 1024;

/**
 * The export as text chunks, about one per API page. Nothing is requested until the first chunk is
 * asked for, and the first chunk comes only after the first page was read, so a refusal of the API
 * can still become the response's status.
 */
export async function* exportChunks(
  api: ApiClient,
  format: Format,
  header: ExportHeader,
  stats: ExportStats,
): AsyncGenerator<string, void, undefined> {
  const encoder =
    format === "csv"
      ? csvEncoder(stats)
      : jsonEncoder(stats, { ...header, exportedAt: new Date().toISOString(), format: "workspace-export/1" });
  let pending = encoder.start;
  for await (const item of walk(api)) {
    pending += encoder.item(item);
    if (item.kind === "tasks" || pending.length >= FLUSH_AT) {
      yield pending;
      pending = "";
    }
  }
  yield pending + encoder.end;
}
