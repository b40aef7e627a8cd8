import { TriangleAlertIcon } from "lucide-react";
import type { ReactNode } from "react";

import { cn } from "@/lib/utils";

type ErrorStateProps = {
  title: string;
  description: string;
  /** What the person can do about it: retry, sign in, choose another organization… */
  actions?: ReactNode;
  icon?: ReactNode;
  className?: string;
  /** `h1` when the state stands in for the whole page (it then carries the page's one heading). */
  headingLevel?: "h1" | "h2";
};

/** A failure explained in words, with the actions that can fix it. */
export function ErrorState({ title, description, actions, icon, className, headingLevel = "h2" }: ErrorStateProps) {
  const Heading = headingLevel;
  return (
    <div
      role="alert"
      data-testid="error-state"
      className={cn(
        "flex flex-col items-center justify-center gap-3 rounded-lg border border-border p-8 text-center",
        className,
      )}
    >
      <div className="flex size-12 items-center justify-center rounded-full bg-muted text-muted-foreground">
        {icon ?? <TriangleAlertIcon aria-hidden className="size-5" />}
      </div>
      <Heading className="text-lg font-semibold">{title}</Heading>
      <p className="max-w-md text-sm text-muted-foreground">{description}</p>
      {actions ? <div className="mt-2 flex flex-wrap items-center justify-center gap-2">{actions}</div> : null}
    </div>
  );
}
