// Written by hand: this functions directory is loaded from disk, never run through `convex codegen`.
import { componentsGeneric, type FunctionReference } from "convex/server";

type Mutation = FunctionReference<"mutation", "internal">;
type Query = FunctionReference<"query", "internal">;

/** The component functions the fixture calls, one entry per instance of convex.config.ts. */
export const components = componentsGeneric() as unknown as {
  migrations: { lib: { getStatus: Query } };
  rateLimiter: { lib: { rateLimit: Mutation } };
  counter: { lib: { add: Mutation; get: Query } };
  visits: { lib: { add: Mutation; get: Query } };
};
