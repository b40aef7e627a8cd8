import type { Preloaded } from "convex/react";

import type { api } from "@/convex/_generated/api";

/** The dashboard shows the first page of each list; the full lists live on their own pages. */
export const DASHBOARD_ARGS = {
  projects: { status: "active", paginationOpts: { numItems: 6, cursor: null } },
  activity: { paginationOpts: { numItems: 8, cursor: null } },
  assigned: { paginationOpts: { numItems: 8, cursor: null } },
} as const;

/** The dashboard's queries as the server answered them with the caller's token. */
export type PreloadedDashboard = {
  current: Preloaded<typeof api.organizations.current>;
  counts: Preloaded<typeof api.dashboard.counts>;
  projects: Preloaded<typeof api.projects.list>;
  activity: Preloaded<typeof api.activity.list>;
  assigned: Preloaded<typeof api.tasks.assignedToMe>;
};
