/**
 * Function arguments from the wire (sync protocol and HTTP API), checked the way a deployment
 * checks a Convex value before anything runs: an object at the top, nesting, array and object
 * sizes within Convex's limits (convex-backend crates/value), field names Convex accepts.
 * `argsKey` is the text the engine shares query results by: the `convexToJson` form, which is
 * one-to-one with the value.
 */
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";

/** Convex's limits on one value (crates/value: MAX_NESTING, MAX_ARRAY_LEN, MAX_OBJECT_FIELDS). */
export const MAX_NESTING = 64;
export const MAX_ARRAY_LENGTH = 8192;
export const MAX_OBJECT_FIELDS = 1024;

/** Arguments a deployment would refuse before running anything. */
export class InvalidArgs extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidArgs";
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function check(value: unknown, depth: number, allowCommitTs: boolean): void {
  if (depth > MAX_NESTING) {
    throw new InvalidArgs(`Value is too nested (more than ${MAX_NESTING} levels deep)`);
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY_LENGTH) {
      throw new InvalidArgs(`Array length is too long (${value.length} > maximum length ${MAX_ARRAY_LENGTH})`);
    }
    for (const item of value) check(item, depth + 1, allowCommitTs);
    return;
  }
  if (!isPlainObject(value)) return;
  const keys = Object.keys(value);
  if (keys.length > MAX_OBJECT_FIELDS) {
    throw new InvalidArgs(`Object has too many fields (${keys.length} > maximum number ${MAX_OBJECT_FIELDS})`);
  }
  for (const key of keys) {
    // `jsonToConvex` assigns fields one by one: this name would set the object's prototype
    // instead, so the function would see fields the value does not have.
    if (key === "__proto__") throw new InvalidArgs("Field name __proto__ is not supported");
    if (key === "$commitTs" && !allowCommitTs) throw new InvalidArgs("$commitTs is only allowed in mutation arguments");
    check(value[key], depth + 1, allowCommitTs);
  }
}

/**
 * Decodes one function's arguments from their JSON form. Throws InvalidArgs, with a message for
 * the caller, for anything that is not a Convex object within the limits.
 */
export function decodeArgs(
  json: unknown,
  kind: "query" | "mutation" | "action" = "query",
): { args: Record<string, Value> } {
  if (!isPlainObject(json)) throw new InvalidArgs("The arguments to a Convex function must be an object");
  check(json, 0, kind === "mutation");
  let args: Value;
  try {
    args = jsonToConvex(json as JSONValue);
  } catch (error) {
    throw new InvalidArgs(`Invalid arguments: ${(error as Error).message}`);
  }
  if (!isPlainObject(args)) throw new InvalidArgs("The arguments to a Convex function must be an object");
  return { args: args as Record<string, Value> };
}

/** The canonical text of decoded arguments: equal exactly when the values are equal. */
export function argsKey(args: Record<string, Value>): string {
  return JSON.stringify(convexToJson(args));
}
