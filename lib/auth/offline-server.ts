// Offline mode, server side (the AuthServer contract, lib/auth/types.ts): the local Clerk stand-in's
// Next.js helpers bound to this app's routing rules and configuration. Also the identity provider's
// API client the /api/offline routes use: only this server holds its key.
import {
  apiKeyFromFile,
  createIdpAdmin,
  createOfflineMiddleware,
  createSessionTokenGetter,
  OFFLINE_SESSION_COOKIE,
  type IdpAdmin,
} from "@tenant-workspace/clerk-local/next";
import { cookies } from "next/headers";

import { decideRoute } from "@/lib/routes";
import { offlineIdpApiKeyFile, offlineIdpUrl } from "@/setup/config";

const HELP =
  "Start the offline stack with npm run dev (or set OFFLINE_IDP_API_KEY_FILE to the api-key file in its data directory).";

let admin: IdpAdmin | null = null;

/**
 * The provider (`NEXT_PUBLIC_OFFLINE_IDP_URL`) with its API key, from `OFFLINE_IDP_API_KEY_FILE`
 * (the offline stack prints it; the browser tests set it), else `.offline/idp/api-key`.
 */
export function offlineIdp(): IdpAdmin {
  admin ??= createIdpAdmin({
    baseUrl: offlineIdpUrl(),
    key: apiKeyFromFile(
      () => offlineIdpApiKeyFile({ OFFLINE_IDP_API_KEY_FILE: process.env.OFFLINE_IDP_API_KEY_FILE }),
      {
        help: HELP,
      },
    ),
    help: HELP,
  });
  return admin;
}

/** Routes on the offline cookies with the same rules as Clerk mode (`decideRoute`). */
export const authMiddleware = createOfflineMiddleware(decideRoute);

/** Whether the request carries the offline session cookie (the identity provider checks it when used). */
export async function hasSession(): Promise<boolean> {
  return (await cookies()).has(OFFLINE_SESSION_COOKIE);
}

/** A fresh token for the request's session and active organization, for server-side preloading. */
export const getConvexToken = createSessionTokenGetter({ idp: offlineIdp });
