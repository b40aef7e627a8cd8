"use client";

import { usePaginatedQuery } from "convex/react";
import { ActivityIcon } from "lucide-react";
import { Link } from "@/components/link";

import { ActivityItem } from "@/components/activity-item";
import { EmptyState } from "@/components/empty-state";
import { LoadMore } from "@/components/load-more";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { WorkspaceGate } from "@/components/workspace-gate";
import { api } from "@/convex/_generated/api";
import { useWorkspace } from "@/hooks/use-workspace";
import { formatDay } from "@/lib/format";
import { routes } from "@/lib/routes";
import type { ActivityView } from "@/lib/types";

const PAGE_SIZE = 30;
const DESCRIPTION = "Who changed what in this organization, newest first, as it happens.";

type Day = { label: string; entries: ActivityView[] };

/** Consecutive entries of the same day together (the feed is newest first). */
function byDay(entries: ActivityView[], now: number): Day[] {
  const days: Day[] = [];
  for (const entry of entries) {
    const label = formatDay(entry._creationTime, now);
    const last = days[days.length - 1];
    if (last?.label === label) last.entries.push(entry);
    else days.push({ label, entries: [entry] });
  }
  return days;
}

function FeedSkeleton() {
  return (
    <div className="flex flex-col gap-3" aria-hidden>
      <Skeleton className="h-4 w-24" />
      <Card className="py-0">
        <CardContent className="divide-y">
          {Array.from({ length: 8 }, (_, i) => (
            <div key={i} className="flex items-start gap-3 py-3">
              <Skeleton className="size-8 shrink-0 rounded-full" />
              <div className="flex flex-1 flex-col gap-1.5">
                <Skeleton className="h-4 w-3/4" />
                <Skeleton className="h-3 w-24" />
              </div>
            </div>
          ))}
        </CardContent>
      </Card>
    </div>
  );
}

function Feed() {
  const { org } = useWorkspace();
  const { results, status, loadMore } = usePaginatedQuery(api.activity.list, {}, { initialNumItems: PAGE_SIZE });

  let body;
  if (status === "LoadingFirstPage") {
    body = <FeedSkeleton />;
  } else if (results.length === 0) {
    body = (
      <EmptyState
        icon={<ActivityIcon aria-hidden className="size-5" />}
        title="No activity yet"
        description="Creating projects, and adding, moving and assigning tasks, leaves a trail here for everyone to see."
        action={
          <Button asChild>
            <Link href={routes.projects}>Go to projects</Link>
          </Button>
        }
      />
    );
  } else {
    const now = Date.now();
    body = (
      <div className="flex flex-col gap-6" data-testid="activity-feed">
        {byDay(results, now).map((day) => (
          <section key={day.label} aria-label={day.label} className="flex flex-col gap-2">
            <h2 className="text-sm font-medium text-muted-foreground">{day.label}</h2>
            <Card className="py-0">
              <CardContent>
                <ul className="divide-y">
                  {day.entries.map((entry) => (
                    <ActivityItem key={entry._id} entry={entry} />
                  ))}
                </ul>
              </CardContent>
            </Card>
          </section>
        ))}
        <LoadMore status={status} onLoadMore={() => loadMore(PAGE_SIZE)} label="Load more activity" />
      </div>
    );
  }

  return (
    <>
      <PageHeader title="Activity" description={`Who changed what in ${org.name}, newest first, as it happens.`} />
      {body}
    </>
  );
}

export function ActivitySkeleton() {
  return (
    <div aria-busy>
      <PageHeader title="Activity" description={DESCRIPTION} />
      <FeedSkeleton />
    </div>
  );
}

export function ActivityFeedPage() {
  return (
    <WorkspaceGate fallback={<ActivitySkeleton />}>
      <Feed />
    </WorkspaceGate>
  );
}
