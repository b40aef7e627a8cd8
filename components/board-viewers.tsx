import type { FunctionReturnType } from "convex/server";

import { PersonAvatar } from "@/components/person-avatar";
import type { api } from "@/convex/_generated/api";
import { cn } from "@/lib/utils";

export type BoardPresence = FunctionReturnType<typeof api.presence.list>;

const SIZES = {
  sm: { avatar: "size-6", overflow: "h-6 min-w-6 px-1 text-[0.625rem]" },
  md: { avatar: "size-8", overflow: "h-8 min-w-8 px-1.5 text-xs" },
} as const;

/**
 * The other members on a project's board: overlapping avatars with the name on hover, then "+N"
 * for the rest. Renders nothing while loading and when nobody else is there.
 */
export function BoardViewers({
  presence,
  max,
  size = "md",
  label,
  className,
}: {
  presence: BoardPresence | undefined;
  /** Avatars shown before the rest are counted as "+N". */
  max: number;
  size?: keyof typeof SIZES;
  /** What the list is, for screen readers ("Also on this board"). */
  label: string;
  className?: string;
}) {
  if (presence === undefined || presence.total === 0) return null;
  const shown = presence.viewers.slice(0, max);
  const rest = presence.total - shown.length;
  const restLabel = `${rest}${presence.more ? " or more" : ""} more`;
  return (
    <ul aria-label={label} data-testid="board-viewers" className={cn("flex items-center -space-x-1.5", className)}>
      {shown.map((person) => (
        <li key={person._id} title={person.name} className="rounded-full ring-2 ring-background">
          <PersonAvatar name={person.name} imageUrl={person.imageUrl} className={SIZES[size].avatar} />
          <span className="sr-only">{person.name}</span>
        </li>
      ))}
      {rest > 0 ? (
        <li
          title={restLabel}
          className={cn(
            "flex items-center justify-center rounded-full bg-muted font-medium text-muted-foreground tabular-nums ring-2 ring-background",
            SIZES[size].overflow,
          )}
        >
          <span aria-hidden>
            +{rest}
            {presence.more ? "+" : ""}
          </span>
          <span className="sr-only">{restLabel}</span>
        </li>
      ) : null}
    </ul>
  );
}
