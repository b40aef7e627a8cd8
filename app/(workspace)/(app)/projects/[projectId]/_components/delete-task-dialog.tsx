"use client";

import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import type { TaskView } from "@/lib/types";

/** Asks before a task is deleted; `task` is the one asked about, null once the question is closed. */
export function DeleteTaskDialog({
  task,
  onClose,
  onConfirm,
}: {
  task: TaskView | null;
  onClose: () => void;
  onConfirm: (task: TaskView) => void;
}) {
  return (
    <AlertDialog open={task !== null} onOpenChange={(open) => (open ? undefined : onClose())}>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>Delete “{task?.title}”?</AlertDialogTitle>
          <AlertDialogDescription>The task is removed for everyone. This cannot be undone.</AlertDialogDescription>
        </AlertDialogHeader>
        <AlertDialogFooter>
          <AlertDialogCancel>Cancel</AlertDialogCancel>
          <AlertDialogAction
            className="bg-destructive text-white hover:bg-destructive/90"
            data-testid="confirm-delete-task"
            onClick={() => {
              if (task !== null) onConfirm(task);
            }}
          >
            Delete task
          </AlertDialogAction>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
