import { DashboardSkeleton } from "./_components/dashboard-view";

export default function DashboardLoading() {
  return <DashboardSkeleton />;
}
