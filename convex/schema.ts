import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import {
  activityActionValidator,
  deletionProgressValidator,
  membershipSourceValidator,
  projectStatusValidator,
  statusCountsValidator,
  taskStatusValidator,
} from "./model/validators";

export default defineSchema({
  users: defineTable({
    // Clerk user id: the token's `sub` / webhook `data.id`.
    clerkId: v.string(),
    email: v.optional(v.string()),
    name: v.optional(v.string()),
    imageUrl: v.optional(v.string()),
    // Clerk's `updated_at` (ms) of the last webhook applied; orders out-of-order deliveries.
    clerkUpdatedAt: v.optional(v.number()),
    // Tombstone: set when the user is deleted in Clerk; the row stays so nothing resurrects it.
    deletedAt: v.optional(v.number()),
  }).index("by_clerkId", ["clerkId"]),

  organizations: defineTable({
    // Clerk organization id: `o.id` / `org_id` claim / webhook `data.id`.
    clerkId: v.string(),
    name: v.string(),
    slug: v.optional(v.string()),
    imageUrl: v.optional(v.string()),
    clerkUpdatedAt: v.optional(v.number()),
    deletedAt: v.optional(v.number()),
  }).index("by_clerkId", ["clerkId"]),

  memberships: defineTable({
    orgId: v.id("organizations"),
    userId: v.id("users"),
    // Clerk membership id: webhook `data.id` of organizationMembership events; unknown until then.
    clerkId: v.optional(v.string()),
    role: v.string(),
    source: membershipSourceValidator,
    clerkUpdatedAt: v.optional(v.number()),
    deletedAt: v.optional(v.number()),
  })
    .index("by_orgId_and_userId", ["orgId", "userId"])
    .index("by_orgId_and_deletedAt", ["orgId", "deletedAt"])
    .index("by_userId", ["userId"])
    .index("by_clerkId", ["clerkId"]),

  webhookEvents: defineTable({
    // svix-id header: one row per delivery, the deduplication key.
    svixId: v.string(),
    type: v.string(),
    receivedAt: v.number(),
    processedAt: v.optional(v.number()),
    // applied: changed state; stale: older than what is stored, or about a deleted record; ignored: a type we do not sync.
    outcome: v.union(v.literal("applied"), v.literal("stale"), v.literal("ignored")),
  })
    .index("by_svixId", ["svixId"])
    .index("by_receivedAt", ["receivedAt"]),

  projects: defineTable({
    orgId: v.id("organizations"),
    name: v.string(),
    status: projectStatusValidator,
    createdBy: v.id("users"),
    updatedAt: v.number(),
    // Set while the project is being deleted: hidden everywhere but its list, which shows the progress.
    deleting: v.optional(deletionProgressValidator),
  }).index("by_orgId_and_status", ["orgId", "status"]),

  tasks: defineTable({
    orgId: v.id("organizations"),
    projectId: v.id("projects"),
    title: v.string(),
    description: v.optional(v.string()),
    status: taskStatusValidator,
    // Fractional order within (project, status); smaller first.
    position: v.number(),
    assigneeId: v.optional(v.id("users")),
    createdBy: v.id("users"),
    updatedAt: v.number(),
  })
    .index("by_orgId_and_projectId_and_status_and_position", ["orgId", "projectId", "status", "position"])
    .index("by_orgId_and_assigneeId_and_status", ["orgId", "assigneeId", "status"]),

  activity: defineTable({
    orgId: v.id("organizations"),
    actorId: v.id("users"),
    action: activityActionValidator,
    projectId: v.optional(v.id("projects")),
    taskId: v.optional(v.id("tasks")),
    // What the record was called when this happened, so the feed reads well after deletion.
    label: v.string(),
    from: v.optional(v.string()),
    to: v.optional(v.string()),
  }).index("by_orgId", ["orgId"]),

  // Retired (counts live in the sharded counter, convex/model/counters.ts): task counts by status per
  // organization (projectId absent) and per project. No longer written; still added to the counter's
  // counts until `npx convex run migrations:runAll` moves each row into it. Removed in a later change.
  taskCounters: defineTable({
    orgId: v.id("organizations"),
    projectId: v.optional(v.id("projects")),
    ...statusCountsValidator.fields,
  }).index("by_orgId_and_projectId", ["orgId", "projectId"]),

  // Retired like taskCounters: member and project counts per organization.
  orgCounters: defineTable({
    orgId: v.id("organizations"),
    members: v.number(),
    projects: v.number(),
  }).index("by_orgId", ["orgId"]),
});
