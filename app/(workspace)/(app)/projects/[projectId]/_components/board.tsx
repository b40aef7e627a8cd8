"use client";

import {
  closestCorners,
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
  type DragOverEvent,
  type DragStartEvent,
  type UniqueIdentifier,
} from "@dnd-kit/core";
import { arrayMove, sortableKeyboardCoordinates } from "@dnd-kit/sortable";
import { usePaginatedQuery } from "convex/react";
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import { toast } from "@/lib/toast";

import { api } from "@/convex/_generated/api";
import type { Id } from "@/convex/_generated/dataModel";
import { useAppMutation } from "@/hooks/use-app-mutation";
import { STATUS_LABELS, TASK_STATUSES, type TaskStatus } from "@/lib/format";
import type { Person, ProjectView, TaskView } from "@/lib/types";

import { BoardColumn } from "./board-column";
import { moveTaskLocally } from "./optimistic";
import { SHORTCUTS_ID, TaskCardBody, type CardActions, type MoveDirection } from "./task-card";

// The task dialog (form, assignee select) loads when a task is opened or created.
const TaskDialog = lazy(() => import("./task-dialog").then((m) => ({ default: m.TaskDialog })));
// The delete confirmation loads when first asked for (the card menu offering it preloads it).
const DeleteTaskDialog = lazy(() => import("./delete-task-dialog").then((m) => ({ default: m.DeleteTaskDialog })));

const COLUMN_PAGE = 25;

type Ids = Record<TaskStatus, Id<"tasks">[]>;
type DialogState =
  | { mode: "create"; status: TaskStatus }
  | { mode: "edit"; taskId: Id<"tasks"> }
  | { mode: "view"; taskId: Id<"tasks"> }
  | null;

function statusOfDropId(id: UniqueIdentifier): TaskStatus | null {
  const status = String(id).replace(/^column:/, "");
  return String(id).startsWith("column:") && (TASK_STATUSES as readonly string[]).includes(status)
    ? (status as TaskStatus)
    : null;
}

/** Where a task sits in `ids`, or null. */
function locate(ids: Ids, id: UniqueIdentifier): { status: TaskStatus; index: number } | null {
  for (const status of TASK_STATUSES) {
    const index = ids[status].indexOf(id as Id<"tasks">);
    if (index >= 0) return { status, index };
  }
  return null;
}

/**
 * The project's board: three paginated columns, live. Tasks move by drag and drop (pointer or the
 * handle's keyboard mode), by Alt+arrow keys on a focused card, or from the card's menu; every move
 * calls `tasks.move` with the task to land before (none for the end) and updates optimistically.
 */
export function Board({ project, canWrite, members }: { project: ProjectView; canWrite: boolean; members: Person[] }) {
  const todo = usePaginatedQuery(
    api.tasks.listByStatus,
    { projectId: project._id, status: "todo" },
    { initialNumItems: COLUMN_PAGE },
  );
  const inProgress = usePaginatedQuery(
    api.tasks.listByStatus,
    { projectId: project._id, status: "in_progress" },
    { initialNumItems: COLUMN_PAGE },
  );
  const done = usePaginatedQuery(
    api.tasks.listByStatus,
    { projectId: project._id, status: "done" },
    { initialNumItems: COLUMN_PAGE },
  );
  const columns = { todo, in_progress: inProgress, done };
  const move = useAppMutation(api.tasks.move, { optimisticUpdate: moveTaskLocally });
  const remove = useAppMutation(api.tasks.remove);

  const [announcement, setAnnouncement] = useState("");
  const [dragIds, setDragIds] = useState<Ids | null>(null);
  const [activeId, setActiveId] = useState<Id<"tasks"> | null>(null);
  const [dialog, setDialog] = useState<DialogState>(null);
  const [deleting, setDeleting] = useState<TaskView | null>(null);
  const [deleteAsked, setDeleteAsked] = useState(false);
  const focusAfterMove = useRef<Id<"tasks"> | null>(null);

  const tasks = useMemo(
    () => new Map<string, TaskView>([...todo.results, ...inProgress.results, ...done.results].map((t) => [t._id, t])),
    [todo.results, inProgress.results, done.results],
  );

  const liveIds: Ids = useMemo(
    () => ({
      todo: todo.results.map((t) => t._id),
      in_progress: inProgress.results.map((t) => t._id),
      done: done.results.map((t) => t._id),
    }),
    [todo.results, inProgress.results, done.results],
  );
  const ids = dragIds ?? liveIds;

  // After a keyboard move the card may re-mount in another column: give it focus back.
  useEffect(() => {
    const id = focusAfterMove.current;
    if (id === null) return;
    const target = document.querySelector<HTMLElement>(`[data-task-id="${id}"] [data-card-focus]`);
    if (target) {
      focusAfterMove.current = null;
      target.focus();
    }
  }, [liveIds]);

  const exhausted: Record<TaskStatus, boolean> = {
    todo: todo.status === "Exhausted",
    in_progress: inProgress.status === "Exhausted",
    done: done.status === "Exhausted",
  };
  const isExhausted = (status: TaskStatus) => exhausted[status];

  /** Calls tasks.move and says what happened, in the live region and (on refusal) a toast. */
  function performMove(task: TaskView, status: TaskStatus, beforeId: Id<"tasks"> | undefined, where: string) {
    setAnnouncement(`Moved ${task.title} ${where}.`);
    void move(
      { id: task._id, status, ...(beforeId !== undefined && { beforeId }) },
      {
        // The optimistic move is already rolled back: say so, on screen and to screen readers.
        onError: (error) => {
          toast.error(error.message, { description: `“${task.title}” is back in ${STATUS_LABELS[task.status]}.` });
          setAnnouncement(
            `Could not move ${task.title}: ${error.message} It is back in ${STATUS_LABELS[task.status]}.`,
          );
        },
      },
    );
  }

  /** The target of a keyboard/menu move, or null when the card cannot go that way. */
  function plan(
    task: TaskView,
    direction: MoveDirection,
  ): { status: TaskStatus; beforeId?: Id<"tasks">; where: string } | null {
    const column = liveIds[task.status];
    const index = column.indexOf(task._id);
    if (index < 0) return null;
    if (direction === "up") {
      if (index === 0) return null;
      return {
        status: task.status,
        beforeId: column[index - 1],
        where: `up to position ${index} in ${STATUS_LABELS[task.status]}`,
      };
    }
    if (direction === "down") {
      if (index + 2 < column.length) {
        return {
          status: task.status,
          beforeId: column[index + 2],
          where: `down to position ${index + 2} in ${STATUS_LABELS[task.status]}`,
        };
      }
      // Past the last loaded card is only the end when the column is fully loaded.
      if (index + 1 < column.length && isExhausted(task.status)) {
        return { status: task.status, where: `to the end of ${STATUS_LABELS[task.status]}` };
      }
      return null;
    }
    const next = TASK_STATUSES[TASK_STATUSES.indexOf(task.status) + (direction === "left" ? -1 : 1)];
    if (next === undefined) return null;
    return { status: next, beforeId: liveIds[next][0], where: `to the top of ${STATUS_LABELS[next]}` };
  }

  function actionsFor(task: TaskView): CardActions {
    return {
      canWrite,
      canMove: (direction) => canWrite && plan(task, direction) !== null,
      onMove: (direction) => {
        const target = plan(task, direction);
        if (target === null) return;
        focusAfterMove.current = task._id;
        performMove(task, target.status, target.beforeId, target.where);
      },
      onMoveTo: (status) => {
        focusAfterMove.current = task._id;
        performMove(task, status, liveIds[status][0], `to the top of ${STATUS_LABELS[status]}`);
      },
      onOpen: () => setDialog({ mode: canWrite ? "edit" : "view", taskId: task._id }),
      onDelete: () => {
        setDeleteAsked(true);
        setDeleting(task);
      },
    };
  }

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );

  const titleOf = (id: UniqueIdentifier) => tasks.get(String(id))?.title ?? "task";
  const describeOver = (id: UniqueIdentifier | undefined) => {
    if (id === undefined) return "no column";
    const status = statusOfDropId(id) ?? locate(dragIds ?? liveIds, id)?.status;
    return status ? STATUS_LABELS[status] : "the board";
  };
  const announcements: Announcements = {
    onDragStart: ({ active }) =>
      `Picked up ${titleOf(active.id)}. Use arrow keys to move, space to drop, escape to cancel.`,
    onDragOver: ({ active, over }) => `${titleOf(active.id)} is over ${describeOver(over?.id)}.`,
    onDragEnd: ({ active, over }) =>
      over ? `Dropped ${titleOf(active.id)} in ${describeOver(over.id)}.` : `Dropped ${titleOf(active.id)}.`,
    onDragCancel: ({ active }) => `Cancelled. ${titleOf(active.id)} was not moved.`,
  };

  function onDragStart({ active }: DragStartEvent) {
    setActiveId(active.id as Id<"tasks">);
    setDragIds(liveIds);
  }

  function onDragOver({ active, over }: DragOverEvent) {
    if (!over) return;
    setDragIds((current) => {
      if (current === null) return current;
      const from = locate(current, active.id);
      const toStatus = statusOfDropId(over.id) ?? locate(current, over.id)?.status;
      if (!from || !toStatus || from.status === toStatus) return current;
      const target = current[toStatus];
      const overIndex = target.indexOf(over.id as Id<"tasks">);
      const at = overIndex >= 0 ? overIndex : target.length;
      return {
        ...current,
        [from.status]: current[from.status].filter((id) => id !== active.id),
        [toStatus]: [...target.slice(0, at), active.id as Id<"tasks">, ...target.slice(at)],
      };
    });
  }

  function onDragEnd({ active, over }: DragEndEvent) {
    const snapshot = dragIds;
    setActiveId(null);
    setDragIds(null);
    const task = tasks.get(String(active.id));
    if (!over || snapshot === null || task === undefined) return;
    const at = locate(snapshot, active.id);
    if (at === null) return;
    let list = snapshot[at.status];
    const overIndex = list.indexOf(over.id as Id<"tasks">);
    if (overIndex >= 0 && overIndex !== at.index) list = arrayMove(list, at.index, overIndex);
    const index = list.indexOf(task._id);
    const beforeId = list[index + 1];
    const original = liveIds[task.status];
    if (at.status === task.status && original[original.indexOf(task._id) + 1] === beforeId) return;
    const where =
      beforeId === undefined
        ? `to the end of ${STATUS_LABELS[at.status]}`
        : `to position ${index + 1} in ${STATUS_LABELS[at.status]}`;
    performMove(task, at.status, beforeId, where);
  }

  const activeTask = activeId === null ? undefined : tasks.get(activeId);
  const dialogTask = dialog !== null && dialog.mode !== "create" ? tasks.get(dialog.taskId) : undefined;

  return (
    <>
      {canWrite ? (
        <p id={SHORTCUTS_ID} className="mb-3 text-xs text-muted-foreground">
          Drag a card by its handle, or focus a card and press Alt with an arrow key to move it. Each card&apos;s menu
          has the same moves.
        </p>
      ) : null}
      <p role="status" aria-live="polite" className="sr-only" data-testid="board-announcer">
        {announcement}
      </p>
      <DndContext
        sensors={sensors}
        collisionDetection={closestCorners}
        onDragStart={onDragStart}
        onDragOver={onDragOver}
        onDragEnd={onDragEnd}
        onDragCancel={() => {
          setActiveId(null);
          setDragIds(null);
        }}
        accessibility={{
          announcements,
          screenReaderInstructions: {
            draggable:
              "To pick up a task, press space or enter. Use the arrow keys to move it between and within columns, space or enter to drop it, and escape to cancel.",
          },
        }}
      >
        <div
          className="relative -mx-4 grid snap-x snap-mandatory auto-cols-[minmax(17rem,1fr)] grid-flow-col gap-3 overflow-x-auto px-4 pb-2 sm:mx-0 sm:px-0 md:grid-flow-row md:grid-cols-3"
          data-testid="board"
        >
          {TASK_STATUSES.map((status) => (
            <BoardColumn
              key={status}
              status={status}
              ids={ids[status]}
              tasks={tasks}
              total={project.counts[status]}
              pagination={columns[status].status}
              onLoadMore={() => columns[status].loadMore(COLUMN_PAGE)}
              canWrite={canWrite}
              onAdd={() => setDialog({ mode: "create", status })}
              actionsFor={actionsFor}
            />
          ))}
        </div>
        <DragOverlay>{activeTask ? <TaskCardBody task={activeTask} overlay /> : null}</DragOverlay>
      </DndContext>

      <Suspense fallback={null}>
        {dialog?.mode === "create" ? (
          <TaskDialog
            open
            onOpenChange={(open) => (open ? undefined : setDialog(null))}
            mode="create"
            projectId={project._id}
            status={dialog.status}
            members={members}
          />
        ) : dialog !== null && dialogTask !== undefined ? (
          <TaskDialog
            open
            onOpenChange={(open) => (open ? undefined : setDialog(null))}
            mode={dialog.mode}
            task={dialogTask}
            members={members}
          />
        ) : null}
      </Suspense>

      {/* Stays mounted once used, so it can animate closed. */}
      {deleteAsked ? (
        <Suspense fallback={null}>
          <DeleteTaskDialog
            task={deleting}
            onClose={() => setDeleting(null)}
            onConfirm={(task) => {
              setAnnouncement(`Deleted ${task.title}.`);
              void remove({ id: task._id });
            }}
          />
        </Suspense>
      ) : null}
    </>
  );
}
