import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// `counts` is also a table of the counter component: each keeps its own.
export default defineSchema({
  events: defineTable({ name: v.string() }),
  counts: defineTable({ label: v.string() }),
});
