"use client";

import { useSortable } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { GripVerticalIcon, MoreHorizontalIcon } from "lucide-react";
import { lazy, type ComponentProps, type KeyboardEvent } from "react";

import { LoadOnFirstUse } from "@/components/load-on-first-use";
import { PersonAvatar } from "@/components/person-avatar";
import { Button } from "@/components/ui/button";
import type { TaskStatus } from "@/lib/format";
import type { TaskView } from "@/lib/types";
import { cn } from "@/lib/utils";

export type MoveDirection = "up" | "down" | "left" | "right";

/** What a card can do, decided by the board (which knows the column order and the role). */
export type CardActions = {
  canWrite: boolean;
  canMove: (direction: MoveDirection) => boolean;
  onMove: (direction: MoveDirection) => void;
  onMoveTo: (status: TaskStatus) => void;
  onOpen: () => void;
  onDelete: () => void;
};

const KEYS: Record<string, MoveDirection> = {
  ArrowUp: "up",
  ArrowDown: "down",
  ArrowLeft: "left",
  ArrowRight: "right",
};

export const SHORTCUTS_ID = "board-shortcuts";

// The menu (Radix's dropdown) loads on first use: a board shows one button per card but rarely opens one.
const loadTaskMenu = () => import("./task-menu");
const LazyTaskMenu = lazy(() => loadTaskMenu().then((m) => ({ default: m.TaskMenu })));

export function TaskMenuTrigger({ task, ...props }: { task: TaskView } & ComponentProps<typeof Button>) {
  return (
    <Button
      variant="ghost"
      size="icon-sm"
      className="-mt-1 -mr-1 shrink-0"
      aria-label={`Actions for task ${task.title}`}
      aria-haspopup="menu"
      data-testid="task-actions"
      {...props}
    >
      <MoreHorizontalIcon aria-hidden />
    </Button>
  );
}

function TaskMenu({ task, actions }: { task: TaskView; actions: CardActions }) {
  return (
    <LoadOnFirstUse preload={loadTaskMenu} trigger={(handlers) => <TaskMenuTrigger task={task} {...handlers} />}>
      <LazyTaskMenu task={task} actions={actions} />
    </LoadOnFirstUse>
  );
}

/** The card's content; also what the drag overlay shows. */
export function TaskCardBody({
  task,
  actions,
  handle,
  overlay = false,
}: {
  task: TaskView;
  actions?: CardActions;
  handle?: ComponentProps<"button">;
  overlay?: boolean;
}) {
  function onKeyDown(event: KeyboardEvent<HTMLButtonElement>) {
    if (!actions?.canWrite || !event.altKey || event.ctrlKey || event.metaKey) return;
    const direction = KEYS[event.key];
    if (direction === undefined) return;
    event.preventDefault();
    if (actions.canMove(direction)) actions.onMove(direction);
  }

  return (
    <article
      aria-label={task.title}
      className={cn(
        "group/card flex flex-col gap-2 rounded-lg border bg-card p-3 text-card-foreground shadow-xs",
        "has-[[data-card-focus]:focus-visible]:ring-2 has-[[data-card-focus]:focus-visible]:ring-ring/60",
        overlay && "rotate-1 shadow-lg ring-2 ring-ring/40",
      )}
    >
      <div className="flex items-start gap-1.5">
        {handle ? (
          <button
            type="button"
            {...handle}
            className="mt-0.5 -ml-1 flex size-6 shrink-0 cursor-grab touch-none items-center justify-center rounded text-muted-foreground hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring/60 focus-visible:outline-none active:cursor-grabbing"
            aria-label={`Drag task ${task.title}`}
            data-testid="task-drag-handle"
          >
            <GripVerticalIcon aria-hidden className="size-4" />
          </button>
        ) : null}
        <button
          type="button"
          data-card-focus
          className="min-w-0 flex-1 rounded-sm text-left text-sm font-medium break-words outline-none"
          onClick={actions?.onOpen}
          onKeyDown={onKeyDown}
          aria-keyshortcuts={actions?.canWrite ? "Alt+ArrowUp Alt+ArrowDown Alt+ArrowLeft Alt+ArrowRight" : undefined}
          aria-describedby={actions?.canWrite ? SHORTCUTS_ID : undefined}
          data-testid="task-title"
        >
          {task.title}
        </button>
        {actions ? <TaskMenu task={task} actions={actions} /> : null}
      </div>
      {task.description ? (
        <p className="line-clamp-2 text-xs whitespace-pre-line text-muted-foreground">{task.description}</p>
      ) : null}
      <div className="flex items-center gap-2 text-xs text-muted-foreground">
        {task.assignee ? (
          <>
            <PersonAvatar name={task.assignee.name} imageUrl={task.assignee.imageUrl} className="size-5" />
            <span className="truncate" data-testid="task-assignee-name">
              {task.assignee.name}
            </span>
          </>
        ) : (
          <span>Unassigned</span>
        )}
      </div>
    </article>
  );
}

/** A card in a column: sortable with the handle (pointer or keyboard), movable with Alt+arrows or its menu. */
export function SortableTaskCard({ task, actions }: { task: TaskView; actions: CardActions }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({
    id: task._id,
    disabled: !actions.canWrite,
    data: { status: task.status },
  });
  return (
    <li
      ref={setNodeRef}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      className={cn("list-none", isDragging && "opacity-40")}
      aria-label={task.title}
      data-testid="task-card"
      data-task-id={task._id}
      data-status={task.status}
    >
      <TaskCardBody
        task={task}
        actions={actions}
        handle={actions.canWrite ? { ref: setActivatorNodeRef, ...attributes, ...listeners } : undefined}
      />
    </li>
  );
}
