import { STATUS_LABELS, TASK_STATUSES, plural, type TaskStatus } from "@/lib/format";
import type { StatusCounts } from "@/lib/types";

const BAR: Record<TaskStatus, string> = {
  todo: "bg-status-todo",
  in_progress: "bg-status-in-progress",
  done: "bg-status-done",
};

/** A stacked bar of a project's tasks by status, with the numbers spelled out for screen readers. */
export function CountsBar({ counts }: { counts: StatusCounts }) {
  const total = counts.todo + counts.in_progress + counts.done;
  const summary = TASK_STATUSES.map((status) => `${counts[status]} ${STATUS_LABELS[status].toLowerCase()}`).join(", ");
  return (
    <div className="flex flex-col gap-1.5">
      <div className="flex h-1.5 overflow-hidden rounded-full bg-muted" aria-hidden>
        {total > 0
          ? TASK_STATUSES.map((status) => (
              <div key={status} className={BAR[status]} style={{ width: `${(counts[status] / total) * 100}%` }} />
            ))
          : null}
      </div>
      <p className="text-xs text-muted-foreground">
        <span className="sr-only">{summary}. </span>
        <span aria-hidden>
          {plural(total, "task")} · {counts.done.toLocaleString("en")} done
        </span>
      </p>
    </div>
  );
}
