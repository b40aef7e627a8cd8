"use client";

import type { PaginationStatus } from "convex/react";

import { Button } from "@/components/ui/button";

/** The "Load more" button under a paginated list; gone once everything is loaded. */
export function LoadMore({
  status,
  onLoadMore,
  label = "Load more",
}: {
  status: PaginationStatus;
  onLoadMore: () => void;
  label?: string;
}) {
  if (status === "Exhausted" || status === "LoadingFirstPage") return null;
  return (
    <div className="flex justify-center pt-2">
      <Button
        variant="outline"
        size="sm"
        disabled={status !== "CanLoadMore"}
        onClick={onLoadMore}
        data-testid="load-more"
      >
        {status === "LoadingMore" ? "Loading…" : label}
      </Button>
    </div>
  );
}
