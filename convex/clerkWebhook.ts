import { v } from "convex/values";
import { internal } from "./_generated/api";
import { httpAction } from "./_generated/server";
import { internalMutation } from "./functions";
import { clerkEventValidator, parseClerkDelivery } from "./model/clerk/events";
import { applyClerkEvent, type SyncOutcome } from "./model/clerk/sync";
import { verifyClerkRequest } from "./model/clerk/verify";
import { startDeletion } from "./model/deletions";
import { clerkWebhookSecret } from "./model/env";

/** How long a delivery's svix-id is remembered: past Clerk's retry (~1 day) and replay windows. */
export const WEBHOOK_EVENT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** POST /webhooks/clerk: verify (svix, raw body), parse, then one internal mutation per delivery. */
export const handle = httpAction(async (ctx, request) => {
  const config = clerkWebhookSecret();
  if (!config.ok) {
    // Never 2xx: Clerk keeps retrying while the operator fixes the secret.
    console.error(`Clerk webhook refused: ${config.problem.message}`);
    return json(500, { error: { code: "MISCONFIGURED", message: config.problem.message } });
  }
  const verified = await verifyClerkRequest(request, config.secret);
  if (!verified.ok) return json(verified.status, { error: { code: "INVALID", message: verified.message } });
  const receivedAt = Date.now();
  const parsed = parseClerkDelivery(verified.body, receivedAt);
  if (!parsed.ok) return json(400, { error: { code: "INVALID", message: parsed.message } });
  const outcome = await ctx.runMutation(internal.clerkWebhook.apply, {
    svixId: verified.svixId,
    type: parsed.type,
    event: parsed.event,
    receivedAt,
  });
  return json(200, { outcome });
});

/** Any other method on the webhook path. */
export const methodNotAllowed = httpAction(async () =>
  json(405, { error: { code: "INVALID", message: "Use POST for Clerk webhooks." } }, { allow: "POST" }),
);

/**
 * One delivery: a duplicate svix-id is a no-op; otherwise apply the event and record the outcome,
 * in one transaction, so concurrent duplicates have exactly one effect.
 */
export const apply = internalMutation({
  args: { svixId: v.string(), type: v.string(), event: clerkEventValidator, receivedAt: v.number() },
  returns: v.union(v.literal("applied"), v.literal("stale"), v.literal("ignored"), v.literal("duplicate")),
  handler: async (ctx, { svixId, type, event, receivedAt }) => {
    const seen = await ctx.db
      .query("webhookEvents")
      .withIndex("by_svixId", (q) => q.eq("svixId", svixId))
      .first();
    if (seen !== null) return "duplicate";
    const outcome = await applyClerkEvent(ctx, event);
    await ctx.db.insert("webhookEvents", { svixId, type, receivedAt, processedAt: Date.now(), outcome });
    return outcome;
  },
});

/** The kinds of record Clerk's Backend API lists, as `scripts/backfill-clerk.ts` sends them. */
const backfillKind = v.union(v.literal("user"), v.literal("organization"), v.literal("organizationMembership"));

/**
 * Records read from Clerk's Backend API (the same JSON a webhook's `data` carries), applied as the
 * `*.updated` events they describe: for users, organizations and memberships that existed before the
 * webhook endpoint did. Newest wins and tombstones hold, exactly as for deliveries; nothing is
 * recorded in webhookEvents (these are not deliveries). Answers one outcome per record.
 */
export const backfill = internalMutation({
  // Parsed and checked field by field by parseClerkDelivery, as a webhook body is; never stored as is.
  args: { records: v.array(v.object({ kind: backfillKind, data: v.any() })) },
  returns: v.array(
    v.union(v.literal("applied"), v.literal("stale"), v.literal("ignored"), v.object({ invalid: v.string() })),
  ),
  handler: async (ctx, { records }) => {
    if (records.length > 100) throw new Error("Send at most 100 records per backfill call.");
    const outcomes: Array<SyncOutcome | { invalid: string }> = [];
    for (const { kind, data } of records) {
      const parsed = parseClerkDelivery({ type: `${kind}.updated`, data }, Date.now());
      outcomes.push(parsed.ok ? await applyClerkEvent(ctx, parsed.event) : { invalid: parsed.message });
    }
    return outcomes;
  },
});

/** Forgets deliveries older than the retention window (daily cron): the work pool deletes them in batches. */
export const prune = internalMutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    await startDeletion(ctx, { kind: "webhookEvents", before: Date.now() - WEBHOOK_EVENT_RETENTION_MS });
    return null;
  },
});
