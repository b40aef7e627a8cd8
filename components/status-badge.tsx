import { Badge } from "@/components/ui/badge";
import { STATUS_LABELS, type TaskStatus } from "@/lib/format";
import { cn } from "@/lib/utils";

const DOT: Record<TaskStatus, string> = {
  todo: "bg-status-todo",
  in_progress: "bg-status-in-progress",
  done: "bg-status-done",
};

export function StatusDot({ status, className }: { status: TaskStatus; className?: string }) {
  return <span aria-hidden className={cn("inline-block size-2 shrink-0 rounded-full", DOT[status], className)} />;
}

export function StatusBadge({ status }: { status: TaskStatus }) {
  return (
    <Badge variant="outline" className="gap-1.5 font-normal">
      <StatusDot status={status} />
      {STATUS_LABELS[status]}
    </Badge>
  );
}
