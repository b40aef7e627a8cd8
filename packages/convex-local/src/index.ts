/**
 * @tenant-workspace/convex-local: a local Convex-protocol server for development and tests (not a
 * production backend). It runs any project's `convex/` functions on convex-test and serves them to
 * the real `convex` clients. See README.md.
 */
export {
  DEFAULT_DATA_DIR,
  DEFAULT_PORT,
  DEFAULT_SITE_PORT,
  startOfflineConvex,
  type OfflineConvexOptions,
  type OfflineConvexServer,
} from "./server";
export { convexModules } from "./modules";
export { identityFromCustomJwtClaims, identityFromOidcClaims } from "./auth";
/** The type of `OfflineConvexServer.engine` (run statistics and committed documents, for tests and benchmarks). */
export type { Engine } from "./engine";
