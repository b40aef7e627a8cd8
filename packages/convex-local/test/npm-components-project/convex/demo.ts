import { Migrations } from "@convex-dev/migrations";
import { Presence } from "@convex-dev/presence";
import { MINUTE, RateLimiter } from "@convex-dev/rate-limiter";
import { ShardedCounter } from "@convex-dev/sharded-counter";
import { Workpool, type WorkId } from "@convex-dev/workpool";
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import type { DataModel } from "./_generated/dataModel";
import { internalMutation, mutation, query } from "./_generated/server";

const limiter = new RateLimiter(components.rateLimiter, {
  send: { kind: "token bucket", rate: 3, period: MINUTE, capacity: 3 },
});
const counter = new ShardedCounter(components.shardedCounter, { defaultShards: 4 });
const pool = new Workpool(components.deletions, { maxParallelism: 2 });
const migrations = new Migrations<DataModel>(components.migrations);
const presence = new Presence(components.presence);

/** Rate-limited per key; counts what it creates in the sharded counter. */
export const send = mutation({
  args: { key: v.string() },
  handler: async (ctx, { key }) => {
    const status = await limiter.limit(ctx, "send", { key });
    if (!status.ok) return { ok: false as const, retryAfter: status.retryAfter };
    await ctx.db.insert("items", { n: 1 });
    await counter.add(ctx, "items", 1);
    return { ok: true as const };
  },
});

export const count = query({ args: {}, handler: async (ctx) => await counter.count(ctx, "items") });

export const left = query({ args: {}, handler: async (ctx) => (await ctx.db.query("items").collect()).length });

export const done = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("items").collect()).filter((item) => item.done === true).length,
});

export const remove = internalMutation({
  args: { id: v.id("items") },
  handler: async (ctx, { id }) => {
    await ctx.db.delete(id);
    await counter.add(ctx, "items", -1);
  },
});

/** Deletes every item through the work pool. */
export const removeAll = mutation({
  args: {},
  handler: async (ctx): Promise<WorkId[]> => {
    const ids: WorkId[] = [];
    for (const item of await ctx.db.query("items").collect()) {
      ids.push(await pool.enqueueMutation(ctx, internal.demo.remove, { id: item._id }));
    }
    return ids;
  },
});

export const status = query({
  args: { id: v.string() },
  handler: async (ctx, { id }) => await pool.status(ctx, id as WorkId),
});

export const markDone = migrations.define({ table: "items", migrateOne: () => ({ done: true }) });
export const runMigration = migrations.runner(internal.demo.markDone);

export const heartbeat = mutation({
  args: { room: v.string(), user: v.string(), session: v.string() },
  handler: async (ctx, { room, user, session }) => await presence.heartbeat(ctx, room, user, session, 10_000),
});

export const present = query({
  args: { roomToken: v.string() },
  handler: async (ctx, { roomToken }) => await presence.list(ctx, roomToken),
});
