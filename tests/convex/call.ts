import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import type { Caller } from "./fixtures";
import type { Backend } from "./setup";

export type CallResult = { ok: true; value: unknown } | { ok: false; code: string; message: string };

/** Calls a function by name and captures either its value or its ConvexError code. */
export async function callByName(
  caller: Backend | Caller,
  kind: "query" | "mutation" | "action",
  name: string,
  args: Record<string, unknown>,
): Promise<CallResult> {
  try {
    const value =
      kind === "query"
        ? await caller.query(makeFunctionReference<"query">(name), args)
        : kind === "mutation"
          ? await caller.mutation(makeFunctionReference<"mutation">(name), args)
          : await caller.action(makeFunctionReference<"action">(name), args);
    return { ok: true, value };
  } catch (error) {
    if (error instanceof ConvexError) {
      const data = error.data as { code?: string; message?: string };
      return { ok: false, code: data.code ?? "UNKNOWN", message: data.message ?? "" };
    }
    // Argument validation failures are plain errors from the runtime.
    const message = error instanceof Error ? error.message : String(error);
    if (/ArgumentValidationError|Validator error/i.test(message)) return { ok: false, code: "VALIDATOR", message };
    throw error;
  }
}
