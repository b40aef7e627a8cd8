import type { Metadata } from "next";

import { Dashboard } from "./_components/dashboard";
import { preloadDashboard } from "./_components/preload";

export const metadata: Metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  return <Dashboard preloaded={await preloadDashboard()} />;
}
