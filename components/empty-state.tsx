import type { ReactNode } from "react";

import { cn } from "@/lib/utils";

type EmptyStateProps = {
  title: string;
  description: string;
  /** The next step for the user, e.g. a "Create project" button. */
  action?: ReactNode;
  icon?: ReactNode;
  className?: string;
  /** `h1` when the state stands in for the whole page; `h3` inside a titled section. */
  headingLevel?: "h1" | "h2" | "h3";
};

/** Shown when a data view has loaded and has nothing in it; always offer the next action. */
export function EmptyState({ title, description, action, icon, className, headingLevel = "h2" }: EmptyStateProps) {
  const Heading = headingLevel;
  return (
    <div
      className={cn(
        "flex flex-col items-center justify-center gap-3 rounded-lg border border-dashed border-border p-8 text-center",
        className,
      )}
    >
      {icon ? (
        <div className="flex size-12 items-center justify-center rounded-full bg-muted text-muted-foreground">
          {icon}
        </div>
      ) : null}
      <Heading className="text-lg font-semibold">{title}</Heading>
      <p className="max-w-sm text-sm text-muted-foreground">{description}</p>
      {action ? <div className="mt-2">{action}</div> : null}
    </div>
  );
}
