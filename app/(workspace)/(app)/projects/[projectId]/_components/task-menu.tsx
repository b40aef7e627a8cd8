"use client";

import { ArrowDownIcon, ArrowLeftIcon, ArrowRightIcon, ArrowUpIcon, PencilIcon, Trash2Icon } from "lucide-react";

import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuShortcut,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { STATUS_LABELS, TASK_STATUSES } from "@/lib/format";
import type { TaskView } from "@/lib/types";

import { TaskMenuTrigger, type CardActions } from "./task-card";

// The menu offers deleting, so the confirmation's code comes along with it.
void import("./delete-task-dialog");

/** The card's actions menu, loaded on first use by TaskMenuTrigger's owner; it opens as it mounts. */
export function TaskMenu({ task, actions }: { task: TaskView; actions: CardActions }) {
  return (
    <DropdownMenu defaultOpen>
      <DropdownMenuTrigger asChild>
        <TaskMenuTrigger task={task} />
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-56">
        <DropdownMenuItem onSelect={actions.onOpen}>
          <PencilIcon aria-hidden />
          {actions.canWrite ? "Edit and assign" : "View details"}
        </DropdownMenuItem>
        {actions.canWrite ? (
          <>
            <DropdownMenuSeparator />
            <DropdownMenuLabel className="text-xs font-normal text-muted-foreground">Move</DropdownMenuLabel>
            <DropdownMenuItem
              disabled={!actions.canMove("up")}
              onSelect={() => actions.onMove("up")}
              aria-keyshortcuts="Alt+ArrowUp"
            >
              <ArrowUpIcon aria-hidden />
              Up
              <DropdownMenuShortcut aria-hidden>Alt ↑</DropdownMenuShortcut>
            </DropdownMenuItem>
            <DropdownMenuItem
              disabled={!actions.canMove("down")}
              onSelect={() => actions.onMove("down")}
              aria-keyshortcuts="Alt+ArrowDown"
            >
              <ArrowDownIcon aria-hidden />
              Down
              <DropdownMenuShortcut aria-hidden>Alt ↓</DropdownMenuShortcut>
            </DropdownMenuItem>
            <DropdownMenuItem
              disabled={!actions.canMove("left")}
              onSelect={() => actions.onMove("left")}
              aria-keyshortcuts="Alt+ArrowLeft"
            >
              <ArrowLeftIcon aria-hidden />
              To previous column
              <DropdownMenuShortcut aria-hidden>Alt ←</DropdownMenuShortcut>
            </DropdownMenuItem>
            <DropdownMenuItem
              disabled={!actions.canMove("right")}
              onSelect={() => actions.onMove("right")}
              aria-keyshortcuts="Alt+ArrowRight"
            >
              <ArrowRightIcon aria-hidden />
              To next column
              <DropdownMenuShortcut aria-hidden>Alt →</DropdownMenuShortcut>
            </DropdownMenuItem>
            {TASK_STATUSES.filter((status) => status !== task.status).map((status) => (
              <DropdownMenuItem key={status} onSelect={() => actions.onMoveTo(status)}>
                <span aria-hidden className="size-4" />
                To top of {STATUS_LABELS[status]}
              </DropdownMenuItem>
            ))}
            <DropdownMenuSeparator />
            <DropdownMenuItem variant="destructive" onSelect={actions.onDelete}>
              <Trash2Icon aria-hidden />
              Delete
            </DropdownMenuItem>
          </>
        ) : null}
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
