/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import schema from "./schema";

/** Every module of the deployment; two-dot files (tests, fixtures) are not deployed and not loaded. */
export const modules = import.meta.glob(["./**/*.*s", "!./**/*.*.*s"]);

/** A fresh in-memory backend with the project's schema and functions. */
export function newBackend(options: { documentsRead?: number } = {}) {
  return convexTest({
    schema,
    modules,
    ...(options.documentsRead !== undefined && { transactionLimits: { documentsRead: options.documentsRead } }),
  });
}

export type Backend = ReturnType<typeof newBackend>;
