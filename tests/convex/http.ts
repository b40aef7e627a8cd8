/** Requests to the HTTP API through convex-test's `t.fetch`, and a check of answers against the OpenAPI schemas. */
import type { ApiCallerName } from "./api-cases";
import type { Caller, World } from "./fixtures";
import type { Backend } from "./setup";

export const PREFIX = "/api/v1";

export type Answer = { status: number; headers: Headers; json: unknown };

export type SendOptions = {
  body?: unknown;
  /** Sent as is instead of `body` (bytes are sent without a content type). */
  raw?: string | Uint8Array;
  /** null removes a default header. */
  headers?: Record<string, string | null>;
  /** Send `Authorization: Bearer …` (convex-test takes the identity from withIdentity). Default true. */
  token?: boolean;
};

/** One request under /api/v1; `path` may carry a query string. */
export async function send(caller: Backend | Caller, method: string, path: string, options: SendOptions = {}) {
  const headers: Record<string, string | null> = {
    ...(options.token !== false && { authorization: "Bearer test-token" }),
    ...((options.body !== undefined || typeof options.raw === "string") && { "content-type": "application/json" }),
    ...options.headers,
  };
  const sent = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== null)) as Record<string, string>;
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await caller.fetch(`${PREFIX}${path}`, {
    method,
    headers: sent,
    ...(body !== undefined && { body: body as BodyInit }),
  });
  const text = await response.text();
  let json: unknown = null;
  if (text !== "") json = JSON.parse(text);
  return { status: response.status, headers: response.headers, json } satisfies Answer;
}

/** The caller of the HTTP matrix: signed out, B's admin, or A's viewer, member or admin. */
export function apiCaller(t: Backend, world: World, name: ApiCallerName): Backend | Caller {
  switch (name) {
    case "noToken":
      return t;
    case "outsider":
      return world.b.as.admin;
    default:
      return world.a.as[name];
  }
}

type Schema = Record<string, unknown>;

/**
 * Problems of `value` against a JSON Schema of the subset the OpenAPI builder writes ($ref, type,
 * properties, required, additionalProperties: false, items, enum, const, anyOf). Empty when it fits.
 */
export function schemaProblems(schema: Schema, value: unknown, doc: Schema, at = "$"): string[] {
  if (typeof schema.$ref === "string") {
    const target = resolveRef(doc, schema.$ref);
    if (target === undefined) return [`${at}: unresolved ${schema.$ref}`];
    return schemaProblems(target, value, doc, at);
  }
  if (Array.isArray(schema.anyOf)) {
    const fits = (schema.anyOf as Schema[]).some((option) => schemaProblems(option, value, doc, at).length === 0);
    return fits ? [] : [`${at}: matches none of anyOf`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    return [`${at}: ${JSON.stringify(value)} not in enum`];
  if ("const" in schema && schema.const !== value) return [`${at}: not ${JSON.stringify(schema.const)}`];
  switch (schema.type) {
    case undefined:
      return [];
    case "string":
    case "boolean":
      return typeof value === schema.type ? [] : [`${at}: not a ${schema.type}`];
    case "number":
      return typeof value === "number" ? [] : [`${at}: not a number`];
    case "integer":
      return Number.isInteger(value) ? [] : [`${at}: not an integer`];
    case "null":
      return value === null ? [] : [`${at}: not null`];
    case "array":
      if (!Array.isArray(value)) return [`${at}: not an array`];
      return value.flatMap((item, i) => schemaProblems(schema.items as Schema, item, doc, `${at}[${i}]`));
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${at}: not an object`];
      const record = value as Record<string, unknown>;
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const problems: string[] = [];
      for (const key of (schema.required ?? []) as string[]) {
        if (!(key in record)) problems.push(`${at}.${key}: missing`);
      }
      for (const [key, item] of Object.entries(record)) {
        if (properties[key] !== undefined) problems.push(...schemaProblems(properties[key], item, doc, `${at}.${key}`));
        else if (schema.additionalProperties === false) problems.push(`${at}.${key}: not in the schema`);
      }
      return problems;
    }
    default:
      return [`${at}: unknown type ${String(schema.type)}`];
  }
}

export function resolveRef(doc: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = doc;
  for (const part of ref.slice(2).split("/")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === "object" && node !== null ? (node as Schema) : undefined;
}

/** Every `$ref` string anywhere in the document. */
export function allRefs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(allRefs);
  if (typeof node !== "object" || node === null) return [];
  return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) =>
    key === "$ref" && typeof value === "string" ? [value] : allRefs(value),
  );
}
