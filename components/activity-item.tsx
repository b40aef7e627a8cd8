import { Link } from "@/components/link";
import type { ReactNode } from "react";

import { PersonAvatar } from "@/components/person-avatar";
import { RelativeTime } from "@/components/relative-time";
import { statusLabel } from "@/lib/format";
import { routes } from "@/lib/routes";
import type { ActivityView } from "@/lib/types";

function Quoted({ children }: { children: ReactNode }) {
  return <span className="font-medium text-foreground">{children}</span>;
}

/** "moved Fix login from To do to Done", from one audit entry. */
function describe(entry: ActivityView): ReactNode {
  const label = <Quoted>{entry.label}</Quoted>;
  switch (entry.action) {
    case "project.created":
      return <>created project {label}</>;
    case "project.renamed":
      return (
        <>
          renamed project <Quoted>{entry.from}</Quoted> to <Quoted>{entry.to}</Quoted>
        </>
      );
    case "project.archived":
      return <>archived project {label}</>;
    case "project.unarchived":
      return <>restored project {label}</>;
    case "project.deleted":
      return <>deleted project {label}</>;
    case "task.created":
      return <>created task {label}</>;
    case "task.edited":
      return entry.from !== undefined && entry.to !== undefined ? (
        <>
          renamed task <Quoted>{entry.from}</Quoted> to <Quoted>{entry.to}</Quoted>
        </>
      ) : (
        <>edited task {label}</>
      );
    case "task.moved":
      return entry.from === entry.to ? (
        <>
          reordered {label} in {statusLabel(entry.to)}
        </>
      ) : (
        <>
          moved {label} from {statusLabel(entry.from)} to {statusLabel(entry.to)}
        </>
      );
    case "task.assigned":
      return (
        <>
          assigned {label} to <Quoted>{entry.to}</Quoted>
        </>
      );
    case "task.unassigned":
      return <>unassigned {label}</>;
    case "task.deleted":
      return <>deleted task {label}</>;
  }
}

/** One line of the audit feed: who did what, when, with a link to the project when it still exists. */
export function ActivityItem({ entry }: { entry: ActivityView }) {
  const linkable = entry.projectId !== undefined && entry.action !== "project.deleted";
  return (
    <li className="flex items-start gap-3 py-3" data-testid="activity-item">
      <PersonAvatar name={entry.actor.name} imageUrl={entry.actor.imageUrl} />
      <div className="min-w-0 flex-1 text-sm">
        <p className="break-words text-muted-foreground">
          <span className="font-medium text-foreground">{entry.actor.name}</span> {describe(entry)}
        </p>
        <p className="mt-0.5 flex flex-wrap gap-x-2 text-xs text-muted-foreground">
          <RelativeTime time={entry._creationTime} />
          {linkable && entry.projectId !== undefined ? (
            <Link
              href={routes.project(entry.projectId)}
              className="underline-offset-4 hover:text-foreground hover:underline"
            >
              Open project
            </Link>
          ) : null}
        </p>
      </div>
    </li>
  );
}
