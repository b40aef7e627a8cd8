/**
 * A query the benchmark adds to the modules it loads (never deployed: it lives outside convex/).
 * It runs a public query as the caller and reports what that query alone read, from Convex's own
 * transaction metrics.
 */
import { makeFunctionReference } from "convex/server";
import { v } from "convex/values";
// The benchmark needs raw functions to wrap others; the builders are for the app's functions.
import { mutation, query } from "../convex/_generated/server";

export const measure = query({
  args: { name: v.string(), args: v.record(v.string(), v.any()) },
  returns: v.object({ documentsRead: v.number(), bytesRead: v.number(), databaseQueries: v.number() }),
  handler: async (ctx, { name, args }) => {
    const before = await ctx.meta.getTransactionMetrics();
    await ctx.runQuery(makeFunctionReference<"query">(name), args);
    const after = await ctx.meta.getTransactionMetrics();
    return {
      documentsRead: after.documentsRead.used - before.documentsRead.used,
      bytesRead: after.bytesRead.used - before.bytesRead.used,
      databaseQueries: after.databaseQueries.used - before.databaseQueries.used,
    };
  },
});

/** Runs a mutation (internal ones too) inside this one and reports what it alone read. */
export const measureMutation = mutation({
  args: { name: v.string(), args: v.record(v.string(), v.any()) },
  returns: v.object({ documentsRead: v.number(), bytesRead: v.number(), databaseQueries: v.number() }),
  handler: async (ctx, { name, args }) => {
    const before = await ctx.meta.getTransactionMetrics();
    await ctx.runMutation(makeFunctionReference<"mutation">(name), args);
    const after = await ctx.meta.getTransactionMetrics();
    return {
      documentsRead: after.documentsRead.used - before.documentsRead.used,
      bytesRead: after.bytesRead.used - before.bytesRead.used,
      databaseQueries: after.databaseQueries.used - before.databaseQueries.used,
    };
  },
});

/** What rolledBack throws once the mutation it ran has finished. */
export const ROLLED_BACK = "benchProbe: rolled back";

/** Runs a mutation inside this one, then throws, so nothing it wrote is kept. */
export const rolledBack = mutation({
  args: { name: v.string(), args: v.record(v.string(), v.any()) },
  returns: v.null(),
  handler: async (ctx, { name, args }) => {
    await ctx.runMutation(makeFunctionReference<"mutation">(name), args);
    throw new Error(ROLLED_BACK);
  },
});
