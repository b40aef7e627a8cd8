/**
 * `@tenant-workspace/clerk-local/next`: the Next.js server side of the local Clerk stand-in. The
 * `/api/offline/*` route handlers the browser goes through (the only holders of the identity
 * provider's API key), the API client they use, the middleware helper and the session's token for
 * server rendering. Edge-safe: nothing here imports Node.js' own modules.
 */
export { apiKeyFromFile, createIdpAdmin, type ApiKeySource, type IdpAdmin } from "./admin";
export { OFFLINE_COOKIE_MAX_AGE_SECONDS, OFFLINE_ORG_COOKIE, OFFLINE_SESSION_COOKIE } from "./cookies";
export { createOfflineRouteHandler, createOfflineRoutes, type OfflineRouteHandler, type OfflineRoutes } from "./routes";
export { createOfflineMiddleware, createSessionTokenGetter, type OfflineRouteInput } from "./server";
export { isSessionEnded, OfflineIdentityError } from "../shared/errors";
