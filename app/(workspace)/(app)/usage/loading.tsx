import { UsageSkeleton } from "./_components/usage-page";

export default function UsageLoading() {
  return <UsageSkeleton />;
}
