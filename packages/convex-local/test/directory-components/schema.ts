import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// A table named like the counter component's: each keeps its own.
export default defineSchema({
  counts: defineTable({ name: v.string() }),
});
