"use client";

import { useState, type FormEvent } from "react";

import { PersonAvatar } from "@/components/person-avatar";
import { StatusBadge } from "@/components/status-badge";
import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { api } from "@/convex/_generated/api";
import type { Id } from "@/convex/_generated/dataModel";
import { useAppMutation } from "@/hooks/use-app-mutation";
import { STATUS_LABELS, TASK_STATUSES, isTaskStatus, type TaskStatus } from "@/lib/format";
import type { Person, TaskView } from "@/lib/types";

import { updateTaskLocally } from "./optimistic";

const UNASSIGNED = "unassigned";

function AssigneeSelect({
  id,
  value,
  onChange,
  members,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  members: Person[];
}) {
  return (
    <Select value={value} onValueChange={onChange}>
      <SelectTrigger id={id} className="w-full" data-testid="task-assignee">
        <SelectValue placeholder="Unassigned" />
      </SelectTrigger>
      <SelectContent>
        <SelectItem value={UNASSIGNED}>Unassigned</SelectItem>
        {members.map((person) => (
          <SelectItem key={person._id} value={person._id}>
            {person.name}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}

type TaskDialogProps = {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  members: Person[];
} & (
  | { mode: "create"; projectId: Id<"projects">; status: TaskStatus }
  | { mode: "edit"; task: TaskView }
  | { mode: "view"; task: TaskView }
);

/** Create, edit (title, description, assignee) or, for read-only roles, view a task. */
export function TaskDialog(props: TaskDialogProps) {
  const { open, onOpenChange } = props;
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent>{open ? <TaskDialogBody {...props} /> : null}</DialogContent>
    </Dialog>
  );
}

function TaskDialogBody(props: TaskDialogProps) {
  const { onOpenChange, members } = props;
  const create = useAppMutation(api.tasks.create);
  const update = useAppMutation(api.tasks.update, { optimisticUpdate: updateTaskLocally });
  const assign = useAppMutation(api.tasks.assign);
  const task = props.mode === "create" ? null : props.task;
  const [assignee, setAssignee] = useState<string>(task?.assignee?._id ?? UNASSIGNED);
  const [status, setStatus] = useState<TaskStatus>(props.mode === "create" ? props.status : (task?.status ?? "todo"));
  const [pending, setPending] = useState(false);

  // Someone assigned earlier may have left; keep them selectable so the form shows the truth.
  const options =
    task?.assignee && !members.some((m) => m._id === task.assignee?._id) ? [task.assignee, ...members] : members;

  if (props.mode === "view") {
    const viewed = props.task;
    return (
      <>
        <DialogHeader>
          <DialogTitle>{viewed.title}</DialogTitle>
          <DialogDescription>You can view this task; your role cannot change it.</DialogDescription>
        </DialogHeader>
        <dl className="grid gap-3 text-sm">
          <div>
            <dt className="text-xs text-muted-foreground">Status</dt>
            <dd className="mt-1">
              <StatusBadge status={viewed.status} />
            </dd>
          </div>
          <div>
            <dt className="text-xs text-muted-foreground">Assignee</dt>
            <dd className="mt-1 flex items-center gap-2">
              {viewed.assignee ? (
                <>
                  <PersonAvatar name={viewed.assignee.name} imageUrl={viewed.assignee.imageUrl} className="size-6" />
                  {viewed.assignee.name}
                </>
              ) : (
                "Unassigned"
              )}
            </dd>
          </div>
          <div>
            <dt className="text-xs text-muted-foreground">Description</dt>
            <dd className="mt-1 whitespace-pre-wrap">{viewed.description ?? "No description."}</dd>
          </div>
        </dl>
        <DialogFooter>
          <Button onClick={() => onOpenChange(false)}>Close</Button>
        </DialogFooter>
      </>
    );
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const title = String(form.get("title") ?? "").trim();
    const description = String(form.get("description") ?? "");
    if (title === "") return;
    const assigneeId = assignee === UNASSIGNED ? null : (assignee as Id<"users">);

    if (props.mode === "create") {
      setPending(true);
      const outcome = await create({
        projectId: props.projectId,
        title,
        ...(description.trim() !== "" && { description }),
        status,
        ...(assigneeId !== null && { assigneeId }),
      });
      setPending(false);
      if (outcome.ok) onOpenChange(false);
      return;
    }

    const editing = props.task;
    const changes: { title?: string; description?: string } = {};
    if (title !== editing.title) changes.title = title;
    if (description.trim() !== (editing.description ?? "")) changes.description = description;
    // Optimistic: the dialog closes at once; a refusal rolls the card back and says why.
    onOpenChange(false);
    if (changes.title !== undefined || changes.description !== undefined) void update({ id: editing._id, ...changes });
    if (assigneeId !== (editing.assignee?._id ?? null)) void assign({ id: editing._id, assigneeId });
  }

  return (
    <form onSubmit={(event) => void submit(event)} className="grid gap-4">
      <DialogHeader>
        <DialogTitle>{props.mode === "create" ? "New task" : "Edit task"}</DialogTitle>
        <DialogDescription>
          {props.mode === "create"
            ? "Everyone in the organization sees it on the board at once."
            : "Changes show on everyone's board as soon as you save."}
        </DialogDescription>
      </DialogHeader>
      <div className="grid gap-2">
        <Label htmlFor="task-title">Title</Label>
        <Input
          id="task-title"
          name="title"
          defaultValue={task?.title ?? ""}
          required
          maxLength={200}
          autoComplete="off"
          data-testid="task-title-input"
        />
      </div>
      <div className="grid gap-2">
        <Label htmlFor="task-description">Description</Label>
        <Textarea
          id="task-description"
          name="description"
          defaultValue={task?.description ?? ""}
          maxLength={5000}
          rows={4}
          data-testid="task-description-input"
        />
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <div className="grid gap-2">
          <Label htmlFor="task-assignee">Assignee</Label>
          <AssigneeSelect id="task-assignee" value={assignee} onChange={setAssignee} members={options} />
        </div>
        {props.mode === "create" ? (
          <div className="grid gap-2">
            <Label htmlFor="task-status">Column</Label>
            <Select value={status} onValueChange={(value) => isTaskStatus(value) && setStatus(value)}>
              <SelectTrigger id="task-status" className="w-full">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                {TASK_STATUSES.map((s) => (
                  <SelectItem key={s} value={s}>
                    {STATUS_LABELS[s]}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          </div>
        ) : null}
      </div>
      <DialogFooter>
        <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
          Cancel
        </Button>
        <Button type="submit" disabled={pending} data-testid="task-submit">
          {props.mode === "create" ? (pending ? "Creating…" : "Create task") : "Save"}
        </Button>
      </DialogFooter>
    </form>
  );
}
