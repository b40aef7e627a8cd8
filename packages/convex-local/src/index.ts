/**
 * @tenant-workspace/convex-local: a local Convex backend for development and tests (not a
 * production backend). The Convex CLI pushes any project's functions to it as to a self-hosted
 * deployment; it runs them on convex-test and serves them to the real `convex` clients. See
 * README.md.
 */
export {
  DEFAULT_DATA_DIR,
  DEFAULT_INSTANCE_NAME,
  DEFAULT_PORT,
  DEFAULT_SITE_PORT,
  startOfflineConvex,
  type OfflineConvexOptions,
  type OfflineConvexServer,
} from "./server";
export type { PushTimings } from "./deployment";
export { convexModules } from "./modules";
export { identityFromCustomJwtClaims, identityFromOidcClaims } from "./auth";
/** The type of `OfflineConvexServer.engine` (run statistics and committed documents, for tests and benchmarks). */
export type { Engine } from "./engine";
