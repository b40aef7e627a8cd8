import { LoaderCircleIcon } from "lucide-react";

import type { DeletionProgress as Progress } from "@/lib/types";

/**
 * A project being deleted, in place of its task counts: the deletion runs in batches, so its
 * progress (tasks deleted of those it had) moves live until the project leaves the list.
 */
export function DeletionProgress({ name, progress }: { name: string; progress: Progress }) {
  const { done, total } = progress;
  const percent = total === 0 ? 100 : Math.min(100, Math.round((done / total) * 100));
  return (
    <div className="flex flex-col gap-1.5" data-testid="deletion-progress">
      <div
        className="flex h-1.5 overflow-hidden rounded-full bg-muted"
        role="progressbar"
        aria-label={`Deleting ${name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={
          total === 0 ? "Deleting" : `${done.toLocaleString("en")} of ${total.toLocaleString("en")} tasks deleted`
        }
      >
        <div className="bg-destructive/70 transition-[width] duration-500" style={{ width: `${percent}%` }} />
      </div>
      <p className="flex items-center gap-1.5 text-xs text-muted-foreground">
        <LoaderCircleIcon aria-hidden className="size-3 motion-safe:animate-spin" />
        {total === 0 ? "Deleting…" : `Deleting… ${done.toLocaleString("en")} of ${total.toLocaleString("en")} tasks`}
      </p>
    </div>
  );
}
