/**
 * Applies Clerk events so that any order, duplicate or replay converges to the same state:
 * an upsert applies only when newer than what is stored (Clerk's `updated_at`), a deletion leaves
 * a tombstone no later event revives, and a membership event creates the user and organization it
 * names when they have not arrived yet (as unsynced rows any real event then overwrites).
 */
import type { Doc, Id } from "../../_generated/dataModel";
import type { MutationCtx } from "../../_generated/server";
import { getOrgByClerkId, getUserByClerkId } from "../auth/tenant";
import { adjustOrgCounters } from "../counters";
import { startDeletion } from "../deletions";
import type { ClerkEvent, OrgFacts, UserFacts } from "./events";

export type SyncOutcome = "applied" | "stale" | "ignored";

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
  // Denied at once by the tombstone; memberships and assignments go in batches on the work pool.
  await ctx.db.patch("users", row._id, tombstone);
  await startDeletion(ctx, { kind: "user", userId: row._id, cursor: null });
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
  // Hidden at once by the tombstone; its data goes in batches on the work pool.
  await ctx.db.patch("organizations", row._id, tombstone);
  await startDeletion(ctx, { kind: "organization", orgId: row._id });
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
