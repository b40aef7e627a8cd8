"use client";

import { useMutation } from "convex/react";
import type { OptimisticUpdate } from "convex/browser";
import type { FunctionArgs, FunctionReference, FunctionReturnType } from "convex/server";
import { useCallback, useMemo } from "react";
import { toast } from "@/lib/toast";

import { describeError, type AppErrorInfo } from "@/lib/errors";

export type MutationOutcome<T> = { ok: true; value: T } | { ok: false; error: AppErrorInfo };

export type RunOptions = {
  /** A toast to show when it worked (most changes show themselves live; use sparingly). */
  success?: string;
  /** Replaces the error toast, e.g. to show the message inline. */
  onError?: (error: AppErrorInfo) => void;
};

/**
 * The one way the UI calls a Convex mutation. The returned function never rejects: a refusal
 * (a `ConvexError` from the backend) is shown as a toast with its message, and any optimistic
 * update has already been rolled back by Convex by then. Await it for the outcome, or `void` it.
 */
export function useAppMutation<Mutation extends FunctionReference<"mutation">>(
  mutation: Mutation,
  options: { optimisticUpdate?: OptimisticUpdate<FunctionArgs<Mutation>> } = {},
): (args: FunctionArgs<Mutation>, runOptions?: RunOptions) => Promise<MutationOutcome<FunctionReturnType<Mutation>>> {
  const base = useMutation(mutation);
  const { optimisticUpdate } = options;
  const call = useMemo(
    () =>
      (optimisticUpdate === undefined ? base : base.withOptimisticUpdate(optimisticUpdate)) as unknown as (
        args: FunctionArgs<Mutation>,
      ) => Promise<FunctionReturnType<Mutation>>,
    [base, optimisticUpdate],
  );
  return useCallback(
    async (args, runOptions = {}) => {
      try {
        const value = await call(args);
        if (runOptions.success !== undefined) toast.success(runOptions.success);
        return { ok: true, value };
      } catch (error) {
        const info = describeError(error);
        if (runOptions.onError !== undefined) runOptions.onError(info);
        else toast.error(info.message);
        return { ok: false, error: info };
      }
    },
    [call],
  );
}
