import type { ReactNode } from "react";

import { WorkspaceProviders } from "./providers";

/** Sign-in and the app share one auth and Convex client, kept across navigation between them. */
export default function WorkspaceLayout({ children }: { children: ReactNode }) {
  return <WorkspaceProviders>{children}</WorkspaceProviders>;
}
