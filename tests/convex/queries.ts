/**
 * Arguments for every public query when aimed at the bulk world's target organization; shared by
 * the bounded-read test and the benchmark. A public query without an entry makes both fail.
 */
import type { BulkWorld } from "./bulk";

/** Lists are read one full page at a time, the size a dashboard shows. */
export const PAGE_SIZE = 25;
const page = { paginationOpts: { numItems: PAGE_SIZE, cursor: null } };

export const QUERY_ARGS: Record<string, (world: BulkWorld) => Record<string, unknown>> = {
  "users:me": () => ({}),
  "organizations:current": () => ({}),
  "organizations:members": () => page,
  "organizations:usage": () => ({}),
  "dashboard:counts": () => ({}),
  "activity:list": () => page,
  "projects:list": () => page,
  "projects:get": (w) => ({ id: w.target.projectId }),
  "tasks:listByStatus": (w) => ({ projectId: w.target.projectId, status: "todo", ...page }),
  "tasks:assignedToMe": () => page,
  "tasks:get": (w) => ({ id: w.target.taskIds[0] }),
  "presence:list": (w) => ({ projectId: w.target.projectId }),
};
