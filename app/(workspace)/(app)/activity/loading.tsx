import { ActivitySkeleton } from "./_components/activity-feed";

export default function ActivityLoading() {
  return <ActivitySkeleton />;
}
