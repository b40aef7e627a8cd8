import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  notes: defineTable({ text: v.string(), author: v.optional(v.string()) }).index("by_author", ["author"]),
  ticks: defineTable({ at: v.number() }),
});
