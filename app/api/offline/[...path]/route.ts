/**
 * Offline mode's sign-in routes (`createOfflineRouteHandler` from the local Clerk stand-in): the
 * browser's only way to the local identity provider. In connected (Clerk) mode there is nothing here.
 */
import { createOfflineRouteHandler } from "@tenant-workspace/clerk-local/next";

import { offlineIdp } from "@/lib/auth/offline-server";

export const dynamic = "force-dynamic";

const offline = createOfflineRouteHandler({
  idp: offlineIdp,
  enabled: () => process.env.NEXT_PUBLIC_AUTH_MODE === "offline",
});

export { offline as DELETE, offline as GET, offline as PATCH, offline as POST };
