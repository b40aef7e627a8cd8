import type { Metadata } from "next";

import { UsagePage } from "./_components/usage-page";

export const metadata: Metadata = { title: "Usage" };

export default function Usage() {
  return <UsagePage />;
}
