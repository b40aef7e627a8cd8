"use client";

import { useDroppable } from "@dnd-kit/core";
import { SortableContext, verticalListSortingStrategy } from "@dnd-kit/sortable";
import type { PaginationStatus } from "convex/react";
import { PlusIcon } from "lucide-react";

import { LoadMore } from "@/components/load-more";
import { StatusDot } from "@/components/status-badge";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import type { Id } from "@/convex/_generated/dataModel";
import { STATUS_LABELS, type TaskStatus } from "@/lib/format";
import { cn } from "@/lib/utils";
import type { TaskView } from "@/lib/types";

import { SortableTaskCard, type CardActions } from "./task-card";

export const columnDropId = (status: TaskStatus) => `column:${status}`;

type BoardColumnProps = {
  status: TaskStatus;
  /** Task ids in display order (during a drag, the dragged order). */
  ids: Id<"tasks">[];
  tasks: Map<string, TaskView>;
  /** All tasks in this column, loaded or not (from the kept counters). */
  total: number;
  pagination: PaginationStatus;
  onLoadMore: () => void;
  canWrite: boolean;
  onAdd: () => void;
  actionsFor: (task: TaskView) => CardActions;
};

export function BoardColumn({
  status,
  ids,
  tasks,
  total,
  pagination,
  onLoadMore,
  canWrite,
  onAdd,
  actionsFor,
}: BoardColumnProps) {
  const { setNodeRef, isOver } = useDroppable({ id: columnDropId(status), data: { status } });
  const headingId = `column-heading-${status}`;
  return (
    <section
      aria-label={STATUS_LABELS[status]}
      className="flex min-h-64 snap-start flex-col rounded-xl border bg-muted/50 p-2"
      data-testid={`board-column-${status}`}
    >
      <header className="flex items-center justify-between gap-2 px-2 py-1.5">
        <h2 id={headingId} className="flex items-center gap-2 text-sm font-semibold">
          <StatusDot status={status} />
          {STATUS_LABELS[status]}
          <span className="font-normal text-muted-foreground tabular-nums" aria-hidden>
            {total}
          </span>
          <span className="sr-only">, {total} tasks</span>
        </h2>
        {canWrite ? (
          <Button
            variant="ghost"
            size="icon-sm"
            onClick={onAdd}
            aria-label={`Add task to ${STATUS_LABELS[status]}`}
            data-testid={`add-task-${status}`}
          >
            <PlusIcon aria-hidden />
          </Button>
        ) : null}
      </header>
      {pagination === "LoadingFirstPage" ? (
        <ColumnSkeleton />
      ) : (
        <SortableContext id={columnDropId(status)} items={ids} strategy={verticalListSortingStrategy}>
          <ul
            ref={setNodeRef}
            aria-label={`${STATUS_LABELS[status]} tasks`}
            className={cn(
              "flex min-h-24 flex-1 flex-col gap-2 rounded-lg p-1 transition-colors",
              isOver && "bg-accent/60",
            )}
          >
            {ids.map((id) => {
              const task = tasks.get(id);
              return task ? <SortableTaskCard key={id} task={task} actions={actionsFor(task)} /> : null;
            })}
            {ids.length === 0 ? (
              <li className="flex flex-1 flex-col items-center justify-center gap-2 rounded-lg border border-dashed p-4 text-center text-xs text-muted-foreground">
                <span>No tasks {status === "done" ? "done yet" : "here"}.</span>
                {canWrite ? (
                  <Button variant="outline" size="sm" onClick={onAdd}>
                    <PlusIcon aria-hidden />
                    Add task
                  </Button>
                ) : null}
              </li>
            ) : null}
          </ul>
        </SortableContext>
      )}
      <LoadMore status={pagination} onLoadMore={onLoadMore} label="Load more tasks" />
    </section>
  );
}

export function ColumnSkeleton() {
  return (
    <div className="flex flex-col gap-2 p-1" aria-hidden>
      {[0, 1, 2].map((i) => (
        <Skeleton key={i} className="h-20 w-full border bg-card" />
      ))}
    </div>
  );
}
