import { v } from "convex/values";
import { components } from "./_generated/api";
import { mutation, query } from "./_generated/server";

export const bump = mutation({
  args: { name: v.string() },
  returns: v.number(),
  handler: async (ctx, { name }) => {
    await ctx.db.insert("events", { name });
    return await ctx.runMutation(components.counter.lib.add, { name, by: 1 });
  },
});

export const visit = mutation({
  args: { name: v.string() },
  returns: v.number(),
  handler: async (ctx, { name }) => await ctx.runMutation(components.visits.lib.add, { name, by: 10 }),
});

export const read = query({
  args: { name: v.string() },
  handler: async (ctx, { name }) => ({
    counter: await ctx.runQuery(components.counter.lib.get, { name }),
    visits: await ctx.runQuery(components.visits.lib.get, { name }),
    events: (await ctx.db.query("events").collect()).length,
    appCounts: (await ctx.db.query("counts").collect()).length,
  }),
});

/** A component function that throws: its error reaches the app's caller. */
export const overdraw = mutation({
  args: {},
  handler: async (ctx) => await ctx.runMutation(components.counter.lib.add, { name: "x", by: -1 }),
});
