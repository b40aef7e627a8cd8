// Resolved at build time by next.config.ts to ./clerk-server.ts or ./offline-server.ts (see ./types.ts).
import type { AuthServer } from "./types";

export declare const authMiddleware: AuthServer["authMiddleware"];
export declare const getConvexToken: AuthServer["getConvexToken"];
export declare const hasSession: AuthServer["hasSession"];
