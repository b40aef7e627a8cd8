import { v } from "convex/values";
import { components } from "./_generated/api";
import { mutation, query } from "./_generated/server";

const THREE_A_MINUTE = { kind: "token bucket", rate: 3, period: 60_000, capacity: 3 } as const;

/** Three a minute per key, through the rate limiter from npm. */
export const send = mutation({
  args: { key: v.string() },
  handler: async (ctx, { key }) =>
    await ctx.runMutation(components.rateLimiter.lib.rateLimit, { name: "send", key, config: THREE_A_MINUTE }),
});

/** A migration's status, from the migrations component from npm. */
export const status = query({
  args: { name: v.string() },
  handler: async (ctx, { name }) => await ctx.runQuery(components.migrations.lib.getStatus, { names: [name] }),
});

export const bump = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => await ctx.runMutation(components.counter.lib.add, { name, by: 1 }),
});

export const visit = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => await ctx.runMutation(components.visits.lib.add, { name, by: 10 }),
});

export const read = query({
  args: { name: v.string() },
  handler: async (ctx, { name }) => ({
    counter: await ctx.runQuery(components.counter.lib.get, { name }),
    visits: await ctx.runQuery(components.visits.lib.get, { name }),
    appCounts: (await ctx.db.query("counts").collect()).length,
  }),
});
