/**
 * Deletions too large for one transaction (a project's tasks, a deleted organization's data, a
 * deleted user's memberships and assignments, old webhook deliveries) run on the work pool
 * (`components.workpool`) as chains of bounded batches: each batch changes at most
 * CASCADE_BATCH_SIZE rows and, in the same transaction, enqueues the next one, so a chain holds one
 * slot of the pool however large it is. Every work item names the organization whose rows it
 * touches (webhook deliveries belong to none) and checks that the record it deletes is in it.
 */
import { type RunResult, vOnCompleteArgs, Workpool } from "@convex-dev/workpool";
import { v, type Infer } from "convex/values";
import { components, internal } from "../_generated/api";
import type { MutationCtx } from "../_generated/server";
import { cascadeOrganizationStep, cascadeProjectStep, cascadeUserInOrgStep } from "./cascades";
import { boundedPage } from "./pagination";

/**
 * Batches running at once, across every deletion. Each deletion is one batch at a time, so this is
 * also how many deletions advance together. A few keep them moving while leaving the deployment's
 * concurrent functions to live traffic (the pool's README: under 20 on the free plan and 100 on Pro,
 * across all pools), and keep concurrent batches from contending on the same organization.
 */
export const DELETION_PARALLELISM = 4;

/**
 * The app's one pool on `components.workpool`: its parallelism is kept per component, so work of
 * another kind that shares the component belongs here too, not in a second `Workpool` instance.
 */
export const workpool = new Workpool(components.workpool, { maxParallelism: DELETION_PARALLELISM });

/** Old webhook deliveries deleted per batch: small rows, far inside the per-transaction limits. */
export const WEBHOOK_EVENT_BATCH_SIZE = 500;

/** Organizations one batch of a user's deletion hands on (one work item each). */
export const USER_ORGS_PER_BATCH = 32;

/** Runs of one batch before its failure is only reported: the first and three more after a backoff. */
export const MAX_ATTEMPTS = 4;

/** The wait before run `attempt + 1` of a batch whose run `attempt` failed: 2 s, 8 s, 32 s. */
export function backoffMs(attempt: number): number {
  return 2_000 * 4 ** (attempt - 1);
}

/** One deletion, as the pool carries it from batch to batch. */
export const deletionValidator = v.union(
  /** A removed project's tasks and counter, then the project row. */
  v.object({ kind: v.literal("project"), orgId: v.id("organizations"), projectId: v.id("projects") }),
  /** Every row of a deleted organization; the organization row stays as its tombstone. */
  v.object({ kind: v.literal("organization"), orgId: v.id("organizations") }),
  /** A deleted user's memberships, a page at a time, each handed on as a `userInOrg` deletion. */
  v.object({ kind: v.literal("user"), userId: v.id("users"), cursor: v.union(v.string(), v.null()) }),
  /** A deleted user's assignments in one organization, then their membership there. */
  v.object({ kind: v.literal("userInOrg"), orgId: v.id("organizations"), userId: v.id("users") }),
  /** Webhook deliveries received before `before` (ms). */
  v.object({ kind: v.literal("webhookEvents"), before: v.number() }),
);
export type Deletion = Infer<typeof deletionValidator>;

/** What the pool hands back to `batchFailed`: the deletion and which run of its batch failed. */
export const failedBatchArgs = vOnCompleteArgs(v.object({ deletion: deletionValidator, attempt: v.number() }));

/** Enqueues a batch of `deletion` on the pool; `attempt` > 1 after a failure, `runAfter` its backoff. */
async function enqueue(ctx: MutationCtx, deletion: Deletion, attempt = 1, runAfter = 0): Promise<void> {
  await workpool.enqueueMutation(
    ctx,
    internal.deletions.batch,
    { deletion },
    {
      // Successes enqueue their own next batch; only a failure needs handling.
      onComplete: internal.deletions.batchFailed,
      onCompleteExcludeKinds: ["success", "canceled"],
      context: { deletion, attempt },
      runAfter,
    },
  );
}

/** Starts a deletion: its first batch runs on the pool as soon as there is room. */
export async function startDeletion(ctx: MutationCtx, deletion: Deletion): Promise<void> {
  await enqueue(ctx, deletion);
}

/**
 * Runs one batch of `deletion` and enqueues what follows it (the next batch, or for a user one
 * deletion per organization). Safe to run twice: a batch of something already gone does nothing.
 */
export async function runDeletionBatch(ctx: MutationCtx, deletion: Deletion): Promise<void> {
  switch (deletion.kind) {
    case "project": {
      const project = await ctx.db.get("projects", deletion.projectId);
      if (project === null) return;
      if (project.orgId !== deletion.orgId) {
        throw new Error(`Project ${project._id} is not in organization ${deletion.orgId}`);
      }
      if (project.deleting === undefined) throw new Error(`Project ${project._id} is not being deleted`);
      const step = await cascadeProjectStep(ctx, project);
      if (!step.more) return;
      const done = project.deleting.done + (step.changed.tasks ?? 0);
      // Subscribers of the project's list see the progress after every batch.
      await ctx.db.patch("projects", project._id, {
        deleting: { done, total: Math.max(project.deleting.total, done) },
      });
      await enqueue(ctx, deletion);
      return;
    }
    case "organization": {
      const org = await ctx.db.get("organizations", deletion.orgId);
      if (org?.deletedAt === undefined) throw new Error(`Organization ${deletion.orgId} is not deleted`);
      if ((await cascadeOrganizationStep(ctx, org._id)).more) await enqueue(ctx, deletion);
      return;
    }
    case "user": {
      const user = await ctx.db.get("users", deletion.userId);
      if (user?.deletedAt === undefined) throw new Error(`User ${deletion.userId} is not deleted`);
      // Paged by position in the index, so the memberships the handed-on deletions remove meanwhile
      // never make this skip or repeat one.
      const page = await boundedPage(
        ctx.db,
        { numItems: USER_ORGS_PER_BATCH, cursor: deletion.cursor },
        {
          table: "memberships",
          keyFields: ["_creationTime", "_id"],
          order: "asc",
          query: (bounds) =>
            ctx.db.query("memberships").withIndex("by_userId", (q) => bounds(q.eq("userId", user._id))),
        },
      );
      const orgIds = new Set(page.page.map((membership) => membership.orgId));
      for (const orgId of orgIds) await enqueue(ctx, { kind: "userInOrg", orgId, userId: user._id });
      if (!page.isDone) await enqueue(ctx, { ...deletion, cursor: page.continueCursor });
      return;
    }
    case "userInOrg": {
      const user = await ctx.db.get("users", deletion.userId);
      if (user?.deletedAt === undefined) throw new Error(`User ${deletion.userId} is not deleted`);
      if ((await cascadeUserInOrgStep(ctx, deletion.orgId, user._id)).more) await enqueue(ctx, deletion);
      return;
    }
    case "webhookEvents": {
      const old = await ctx.db
        .query("webhookEvents")
        .withIndex("by_receivedAt", (q) => q.lt("receivedAt", deletion.before))
        .take(WEBHOOK_EVENT_BATCH_SIZE);
      for (const row of old) await ctx.db.delete("webhookEvents", row._id);
      if (old.length === WEBHOOK_EVENT_BATCH_SIZE) await enqueue(ctx, deletion);
      return;
    }
  }
}

/**
 * A batch failed (the pool does not retry mutations; Convex already retries conflicts and
 * transient failures, so what reaches here is rarer: a timeout under load, a deployment mid-run).
 * It runs again after a backoff, up to MAX_ATTEMPTS runs; then the failure is logged with the
 * deletion, which `npx convex run deletions:batch '{"deletion": …}'` resumes once fixed.
 */
export async function handleFailedBatch(
  ctx: MutationCtx,
  { context, result }: { context: { deletion: Deletion; attempt: number }; result: RunResult },
): Promise<void> {
  if (result.kind !== "failed") return;
  const { deletion, attempt } = context;
  if (attempt < MAX_ATTEMPTS) {
    console.warn(`Deletion batch failed (run ${attempt} of ${MAX_ATTEMPTS}), trying again: ${result.error}`);
    await enqueue(ctx, deletion, attempt + 1, backoffMs(attempt));
    return;
  }
  console.error(`Deletion batch failed ${MAX_ATTEMPTS} times, stopped: ${result.error}`, JSON.stringify(deletion));
}
