/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import schema from "../../convex/schema";

/**
 * Every module of the deployment, keyed `../../convex/<path>` (convex-test takes the part before
 * `_generated/` as the root). Two-dot files (tests) are not deployed and not loaded.
 */
export const modules = import.meta.glob(["../../convex/**/*.*s", "!../../convex/**/*.*.*s"]);

/** A fresh in-memory backend with the project's schema and functions. */
export function newBackend(options: { documentsRead?: number } = {}) {
  return convexTest({
    schema,
    modules,
    ...(options.documentsRead !== undefined && { transactionLimits: { documentsRead: options.documentsRead } }),
  });
}

export type Backend = ReturnType<typeof newBackend>;
