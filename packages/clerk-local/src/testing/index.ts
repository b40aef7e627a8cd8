/**
 * `@tenant-workspace/clerk-local/testing`: helpers for tests against the local Clerk stand-in (Node.js):
 * a temporary data directory, a webhook receiver that records and verifies deliveries, JSON calls
 * to the provider's API, and the /api/offline routes in-process behind a simulated browser.
 */
export { call, startReceiver, tempDataDir, verifyDelivery, waitFor, type Delivery } from "./idp";
export { APP_ORIGIN, browser, startOfflineRoutes } from "./routes";
