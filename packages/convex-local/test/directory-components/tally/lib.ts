import { v } from "convex/values";
import { mutation } from "./_generated/server";

/** One event per change its parent makes. */
export const record = mutation({
  args: { name: v.string() },
  returns: v.null(),
  handler: async (ctx, { name }) => {
    await ctx.db.insert("events", { name });
    return null;
  },
});
