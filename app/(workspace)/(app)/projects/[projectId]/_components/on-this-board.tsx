"use client";

import { useQuery } from "convex/react";

import { BoardViewers } from "@/components/board-viewers";
import { api } from "@/convex/_generated/api";
import type { Id } from "@/convex/_generated/dataModel";
import { useBoardPresence } from "@/hooks/use-board-presence";

/** Puts this member on the board for the others, and shows who else is on it. */
export function OnThisBoard({ projectId }: { projectId: Id<"projects"> }) {
  useBoardPresence(projectId);
  const presence = useQuery(api.presence.list, { projectId });
  return <BoardViewers presence={presence} max={4} label="Also on this board" />;
}
