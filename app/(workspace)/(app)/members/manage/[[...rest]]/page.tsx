import type { Metadata } from "next";

import { ManageMembersScreen } from "../../_components/manage-members-screen";

export const metadata: Metadata = { title: "Manage members" };

/** Optional catch-all: Clerk's organization profile routes its own sub-pages under this path. */
export default function ManageMembersRoute() {
  return <ManageMembersScreen />;
}
