/**
 * Applies Clerk events so that any order, duplicate or replay converges to the same state:
 * an upsert applies only when newer than what is stored (Clerk's `updated_at`), a deletion leaves
 * a tombstone no later event revives, and a membership event creates the user and organization it
 * names when they have not arrived yet (as unsynced rows any real event then overwrites).
 */
import { internal } from "../_generated/api";
import type { Doc, Id, TableNames } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import type { ClerkEvent, OrgFacts, UserFacts } from "./clerkEvents";
import { adjustOrgCounters } from "./counters";
import { getOrgByClerkId, getUserByClerkId } from "./tenant";

export type SyncOutcome = "applied" | "stale" | "ignored";

/** Rows one cascade step deletes or updates: far inside Convex's per-transaction limits. */
export const CASCADE_BATCH_SIZE = 256;

/** A deleted organization keeps its row (the tombstone) under this name, with nothing else of it. */
const DELETED_ORG_NAME = "Deleted organization";

/**
 * True when an event stamped `time` is older than what the row already holds. Two events with the
 * same `updated_at` are different changes (a repeated delivery is caught earlier by its svix-id), so
 * the later delivery applies.
 */
function isStale(row: { clerkUpdatedAt?: number }, time: number): boolean {
  return row.clerkUpdatedAt !== undefined && time < row.clerkUpdatedAt;
}

function userFields(user: UserFacts) {
  // Replace, not merge: the newest event alone decides every synced field.
  return { email: user.email, name: user.name, imageUrl: user.imageUrl };
}

function orgFields(org: OrgFacts) {
  return { name: org.name, slug: org.slug, imageUrl: org.imageUrl };
}

async function upsertUser(ctx: MutationCtx, user: UserFacts, updatedAt: number): Promise<SyncOutcome> {
  const row = await getUserByClerkId(ctx.db, user.clerkId);
  if (row?.deletedAt !== undefined) return "stale";
  if (row !== null && isStale(row, updatedAt)) return "stale";
  if (row === null) {
    await ctx.db.insert("users", { clerkId: user.clerkId, ...userFields(user), clerkUpdatedAt: updatedAt });
  } else {
    await ctx.db.patch("users", row._id, { ...userFields(user), clerkUpdatedAt: updatedAt });
  }
  return "applied";
}

async function upsertOrg(ctx: MutationCtx, org: OrgFacts, updatedAt: number): Promise<SyncOutcome> {
  const row = await getOrgByClerkId(ctx.db, org.clerkId);
  if (row?.deletedAt !== undefined) return "stale";
  if (row !== null && isStale(row, updatedAt)) return "stale";
  if (row === null) {
    await ctx.db.insert("organizations", { clerkId: org.clerkId, ...orgFields(org), clerkUpdatedAt: updatedAt });
  } else {
    await ctx.db.patch("organizations", row._id, { ...orgFields(org), clerkUpdatedAt: updatedAt });
  }
  return "applied";
}

/** The user a membership event names; created unsynced (no clerkUpdatedAt) when it has not arrived. */
async function userForMembership(ctx: MutationCtx, user: UserFacts): Promise<Doc<"users">> {
  const row = await getUserByClerkId(ctx.db, user.clerkId);
  if (row !== null) return row;
  const id = await ctx.db.insert("users", { clerkId: user.clerkId, ...userFields(user) });
  return (await ctx.db.get("users", id))!;
}

async function orgForMembership(ctx: MutationCtx, org: OrgFacts): Promise<Doc<"organizations">> {
  const row = await getOrgByClerkId(ctx.db, org.clerkId);
  if (row !== null) return row;
  const id = await ctx.db.insert("organizations", { clerkId: org.clerkId, ...orgFields(org) });
  return (await ctx.db.get("organizations", id))!;
}

async function membershipRow(ctx: MutationCtx, orgId: Id<"organizations">, userId: Id<"users">) {
  return await ctx.db
    .query("memberships")
    .withIndex("by_orgId_and_userId", (q) => q.eq("orgId", orgId).eq("userId", userId))
    .unique();
}

async function upsertMembership(
  ctx: MutationCtx,
  event: Extract<ClerkEvent, { kind: "membership.upsert" }>,
): Promise<SyncOutcome> {
  const org = await orgForMembership(ctx, event.org);
  const user = await userForMembership(ctx, event.user);
  // A deleted user or organization takes its memberships with it; late events change nothing.
  if (org.deletedAt !== undefined || user.deletedAt !== undefined) return "stale";
  const row = await membershipRow(ctx, org._id, user._id);
  const synced = {
    clerkId: event.clerkId,
    role: event.role,
    source: "webhook" as const,
    clerkUpdatedAt: event.updatedAt,
  };
  if (row === null) {
    await ctx.db.insert("memberships", { orgId: org._id, userId: user._id, ...synced });
    await adjustOrgCounters(ctx, org._id, { members: 1 });
    return "applied";
  }
  if (row.clerkId === undefined || row.clerkId === event.clerkId) {
    // The same membership (or the one provisioned from a token): never revive it, never go back in time.
    if (row.deletedAt !== undefined || isStale(row, event.updatedAt)) return "stale";
    await ctx.db.patch("memberships", row._id, synced);
    return "applied";
  }
  // Another membership of the same pair (removed and added again in Clerk): the later one wins.
  const rowTime = row.deletedAt ?? row.clerkUpdatedAt ?? 0;
  if (event.updatedAt < rowTime) return "stale";
  await ctx.db.patch("memberships", row._id, { ...synced, deletedAt: undefined });
  if (row.deletedAt !== undefined) await adjustOrgCounters(ctx, org._id, { members: 1 });
  return "applied";
}

async function deleteMembership(
  ctx: MutationCtx,
  event: Extract<ClerkEvent, { kind: "membership.delete" }>,
): Promise<SyncOutcome> {
  const org = await orgForMembership(ctx, event.org);
  const user = await userForMembership(ctx, event.user);
  if (org.deletedAt !== undefined || user.deletedAt !== undefined) return "stale";
  const row = await membershipRow(ctx, org._id, user._id);
  // The tombstone keeps the membership's id and last role, and nothing that orders later updates.
  const tombstone = {
    clerkId: event.clerkId,
    role: event.role,
    source: "webhook" as const,
    clerkUpdatedAt: undefined,
    deletedAt: event.at,
  };
  if (row === null) {
    await ctx.db.insert("memberships", { orgId: org._id, userId: user._id, ...tombstone });
    return "applied";
  }
  // Removing one membership never touches a later membership of the same pair.
  if (row.clerkId !== undefined && row.clerkId !== event.clerkId) return "stale";
  if (row.deletedAt !== undefined) return "stale";
  await ctx.db.patch("memberships", row._id, tombstone);
  await adjustOrgCounters(ctx, org._id, { members: -1 });
  return "applied";
}

async function deleteUser(ctx: MutationCtx, clerkId: string, at: number): Promise<SyncOutcome> {
  const row = await getUserByClerkId(ctx.db, clerkId);
  if (row?.deletedAt !== undefined) return "stale";
  const tombstone = {
    email: undefined,
    name: undefined,
    imageUrl: undefined,
    clerkUpdatedAt: undefined,
    deletedAt: at,
  };
  if (row === null) {
    await ctx.db.insert("users", { clerkId, ...tombstone });
    return "applied";
  }
  // Denied at once by the tombstone; memberships and assignments go in scheduled batches.
  await ctx.db.patch("users", row._id, tombstone);
  await ctx.scheduler.runAfter(0, internal.clerkWebhook.cascadeUser, { userId: row._id });
  return "applied";
}

async function deleteOrg(ctx: MutationCtx, clerkId: string, at: number): Promise<SyncOutcome> {
  const row = await getOrgByClerkId(ctx.db, clerkId);
  if (row?.deletedAt !== undefined) return "stale";
  const tombstone = {
    name: DELETED_ORG_NAME,
    slug: undefined,
    imageUrl: undefined,
    clerkUpdatedAt: undefined,
    deletedAt: at,
  };
  if (row === null) {
    await ctx.db.insert("organizations", { clerkId, ...tombstone });
    return "applied";
  }
  // Hidden at once by the tombstone; its data goes in scheduled batches.
  await ctx.db.patch("organizations", row._id, tombstone);
  await ctx.scheduler.runAfter(0, internal.clerkWebhook.cascadeOrganization, { orgId: row._id });
  return "applied";
}

/** Applies one Clerk event; the caller records the outcome against the delivery's svix-id. */
export async function applyClerkEvent(ctx: MutationCtx, event: ClerkEvent): Promise<SyncOutcome> {
  switch (event.kind) {
    case "user.upsert":
      return await upsertUser(ctx, event.user, event.updatedAt);
    case "user.delete":
      return await deleteUser(ctx, event.clerkId, event.at);
    case "organization.upsert":
      return await upsertOrg(ctx, event.org, event.updatedAt);
    case "organization.delete":
      return await deleteOrg(ctx, event.clerkId, event.at);
    case "membership.upsert":
      return await upsertMembership(ctx, event);
    case "membership.delete":
      return await deleteMembership(ctx, event);
    case "ignored":
      return "ignored";
  }
}

async function deleteRows<T extends TableNames>(ctx: MutationCtx, table: T, rows: Doc<T>[]): Promise<boolean> {
  for (const row of rows) await ctx.db.delete(table, row._id);
  return rows.length > 0;
}

/**
 * Deletes up to CASCADE_BATCH_SIZE rows of a deleted organization, children before parents;
 * "more" means call again. The organization row itself stays as the tombstone.
 */
export async function cascadeOrganizationStep(ctx: MutationCtx, orgId: Id<"organizations">): Promise<"more" | "done"> {
  const n = CASCADE_BATCH_SIZE;
  const steps = [
    async () =>
      deleteRows(
        ctx,
        "tasks",
        await ctx.db
          .query("tasks")
          .withIndex("by_orgId_and_projectId_and_status_and_position", (q) => q.eq("orgId", orgId))
          .take(n),
      ),
    async () =>
      deleteRows(
        ctx,
        "projects",
        await ctx.db
          .query("projects")
          .withIndex("by_orgId_and_status", (q) => q.eq("orgId", orgId))
          .take(n),
      ),
    async () =>
      deleteRows(
        ctx,
        "activity",
        await ctx.db
          .query("activity")
          .withIndex("by_orgId", (q) => q.eq("orgId", orgId))
          .take(n),
      ),
    async () =>
      deleteRows(
        ctx,
        "taskCounters",
        await ctx.db
          .query("taskCounters")
          .withIndex("by_orgId_and_projectId", (q) => q.eq("orgId", orgId))
          .take(n),
      ),
    async () =>
      deleteRows(
        ctx,
        "orgCounters",
        await ctx.db
          .query("orgCounters")
          .withIndex("by_orgId", (q) => q.eq("orgId", orgId))
          .take(n),
      ),
    async () =>
      deleteRows(
        ctx,
        "memberships",
        await ctx.db
          .query("memberships")
          .withIndex("by_orgId_and_userId", (q) => q.eq("orgId", orgId))
          .take(n),
      ),
  ];
  for (const step of steps) {
    if (await step()) return "more";
  }
  return "done";
}

/**
 * One step of removing a deleted user: takes one of their memberships, unassigns up to
 * CASCADE_BATCH_SIZE of their tasks in that organization, and once none are left there, deletes
 * the membership. Returns "more" until no membership is left. (The user's tombstone keeps late
 * membership events from recreating anything.)
 */
export async function cascadeUserStep(ctx: MutationCtx, userId: Id<"users">): Promise<"more" | "done"> {
  const membership = await ctx.db
    .query("memberships")
    .withIndex("by_userId", (q) => q.eq("userId", userId))
    .first();
  if (membership === null) return "done";
  const assigned = await ctx.db
    .query("tasks")
    .withIndex("by_orgId_and_assigneeId_and_status", (q) => q.eq("orgId", membership.orgId).eq("assigneeId", userId))
    .take(CASCADE_BATCH_SIZE);
  for (const task of assigned) await ctx.db.patch("tasks", task._id, { assigneeId: undefined });
  if (assigned.length === CASCADE_BATCH_SIZE) return "more";
  await ctx.db.delete("memberships", membership._id);
  const org = await ctx.db.get("organizations", membership.orgId);
  // A deleted organization's counters are already gone with it.
  if (membership.deletedAt === undefined && org !== null && org.deletedAt === undefined) {
    await adjustOrgCounters(ctx, membership.orgId, { members: -1 });
  }
  return "more";
}
