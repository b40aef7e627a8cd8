import { v } from "convex/values";
import { internalMutation } from "./functions";
import { deletionValidator, failedBatchArgs, handleFailedBatch, runDeletionBatch } from "./model/deletions";

/** One batch of a deletion, run by the work pool; enqueues the batch that follows it. */
export const batch = internalMutation({
  args: { deletion: deletionValidator },
  returns: v.null(),
  handler: async (ctx, { deletion }) => {
    await runDeletionBatch(ctx, deletion);
    return null;
  },
});

/** The pool's report of a failed batch: run it again after a backoff, or log it. */
export const batchFailed = internalMutation({
  args: failedBatchArgs,
  returns: v.null(),
  handler: async (ctx, args) => {
    await handleFailedBatch(ctx, args);
    return null;
  },
});
