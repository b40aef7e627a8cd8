import type { Metadata } from "next";

import { ActivityFeedPage } from "./_components/activity-feed";

export const metadata: Metadata = { title: "Activity" };

export default function Activity() {
  return <ActivityFeedPage />;
}
