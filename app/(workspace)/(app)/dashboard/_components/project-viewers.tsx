"use client";

import { useQuery } from "convex/react";

import { BoardViewers } from "@/components/board-viewers";
import { api } from "@/convex/_generated/api";
import type { Id } from "@/convex/_generated/dataModel";

/** Who is on the project's board now, live; one subscription per project row shown. */
export function ProjectViewers({ projectId }: { projectId: Id<"projects"> }) {
  const presence = useQuery(api.presence.list, { projectId });
  return <BoardViewers presence={presence} max={3} size="sm" label="On this board now" className="shrink-0" />;
}
