/// <reference types="vite/client" />
import migrations from "@convex-dev/migrations/test";
import presence from "@convex-dev/presence/test";
import rateLimiter from "@convex-dev/rate-limiter/test";
import shardedCounter from "@convex-dev/sharded-counter/test";
import workpool from "@convex-dev/workpool/test";
import { convexTest } from "convex-test";
import schema from "../../convex/schema";

/**
 * Every module of the deployment, keyed `../../convex/<path>` (convex-test takes the part before
 * `_generated/` as the root). Two-dot files (tests) are not deployed and not loaded.
 */
export const modules = import.meta.glob(["../../convex/**/*.*s", "!../../convex/**/*.*.*s"]);

/** A fresh in-memory backend with the project's schema and functions, and its components (convex.config.ts). */
export function newBackend(options: { documentsRead?: number } = {}) {
  const t = convexTest({
    schema,
    modules,
    ...(options.documentsRead !== undefined && { transactionLimits: { documentsRead: options.documentsRead } }),
  });
  // The names app.use() gives them in convex/convex.config.ts.
  rateLimiter.register(t, "rateLimiter");
  shardedCounter.register(t, "shardedCounter");
  workpool.register(t, "workpool");
  migrations.register(t, "migrations");
  presence.register(t, "presence");
  return t;
}

export type Backend = ReturnType<typeof newBackend>;
