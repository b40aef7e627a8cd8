/**
 * JSON in the HTTP API, described once with Convex validators: checking a request's JSON against
 * them with messages that name the field, and turning them into the JSON Schema of the OpenAPI
 * document. Request bodies are the public functions' argument validators; responses are their
 * return validators.
 */
import type { GenericValidator, Validator } from "convex/values";

// Validators of any type; their `kind` tells them apart.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyValidator = Validator<any, any, any>;

/** An id found while checking, to be confirmed against its table before the call. */
export type IdRef = { field: string; table: string; value: string };

/** Longer than any Convex id: refused without asking the database. */
const MAX_ID_LENGTH = 128;

/** How a value of this validator reads in a message: "a string", `one of "todo", "done"`. */
export function describeValidator(validator: GenericValidator): string {
  const v = validator as AnyValidator;
  switch (v.kind) {
    case "string":
      return "a string";
    case "float64":
      return "a number";
    case "boolean":
      return "true or false";
    case "null":
      return "null";
    case "id":
      return `the id of a ${v.tableName} document`;
    case "literal":
      return JSON.stringify(v.value);
    case "object":
      return "an object";
    case "array":
      return "an array";
    case "union":
      const members = v.members as AnyValidator[];
      if (members.every((m) => m.kind === "literal")) {
        return `one of ${members.map((m) => JSON.stringify((m as { value: unknown }).value)).join(", ")}`;
      }
      return members.map((m) => describeValidator(m)).join(" or ");
    default:
      return v.kind;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks `value` against `validator`. Returns null when it matches, else a message naming the
 * field. Objects are closed: a field the validator does not name is refused, so a typo is an
 * error rather than silently ignored. Ids are only checked to be strings here; they are added
 * to `ids` for the caller to confirm against their table.
 */
export function checkJson(validator: GenericValidator, value: unknown, field: string, ids: IdRef[]): string | null {
  const v = validator as AnyValidator;
  const name = field === "" ? "The body" : `"${field}"`;
  const mismatch = () => `${name} must be ${describeValidator(v)}.`;
  switch (v.kind) {
    case "string":
      return typeof value === "string" ? null : mismatch();
    case "float64":
      return typeof value === "number" && Number.isFinite(value) ? null : mismatch();
    case "boolean":
      return typeof value === "boolean" ? null : mismatch();
    case "null":
      return value === null ? null : mismatch();
    case "literal":
      return value === v.value ? null : mismatch();
    case "id":
      if (typeof value !== "string" || value.length === 0) return mismatch();
      if (value.length > MAX_ID_LENGTH) return `${name} is not a valid ${v.tableName} id.`;
      ids.push({ field, table: v.tableName, value });
      return null;
    case "array": {
      if (!Array.isArray(value)) return mismatch();
      for (const [index, item] of value.entries()) {
        const problem = checkJson(v.element, item, `${field}[${index}]`, ids);
        if (problem !== null) return problem;
      }
      return null;
    }
    case "object": {
      if (!isPlainObject(value)) return mismatch();
      const fields = v.fields as Record<string, AnyValidator>;
      const known = Object.keys(fields);
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(fields, key)) {
          const allowed = known.length === 0 ? "none" : known.map((k) => `"${k}"`).join(", ");
          return `Unknown field "${field === "" ? key : `${field}.${key}`}". Allowed fields: ${allowed}.`;
        }
      }
      for (const [key, fieldValidator] of Object.entries(fields)) {
        const path = field === "" ? key : `${field}.${key}`;
        if (value[key] === undefined) {
          if (fieldValidator.isOptional === "optional") continue;
          return `"${path}" is required.`;
        }
        const problem = checkJson(fieldValidator, value[key], path, ids);
        if (problem !== null) return problem;
      }
      return null;
    }
    case "union": {
      for (const member of v.members as AnyValidator[]) {
        const found: IdRef[] = [];
        if (checkJson(member, value, field, found) === null) {
          ids.push(...found);
          return null;
        }
      }
      return mismatch();
    }
    default:
      // The API's validators use none of the other kinds (bytes, int64, record, any).
      return `${name} cannot be sent as JSON.`;
  }
}

export type JsonSchema = { [key: string]: unknown };

/** The JSON Schema (2020-12, as OpenAPI 3.1 uses it) of a Convex validator. */
export function jsonSchemaOf(validator: GenericValidator): JsonSchema {
  const v = validator as AnyValidator;
  switch (v.kind) {
    case "string":
      return { type: "string" };
    case "float64":
      return { type: "number" };
    case "boolean":
      return { type: "boolean" };
    case "null":
      return { type: "null" };
    case "literal":
      return { const: v.value };
    case "id":
      return { type: "string", description: `Id of a ${v.tableName} document.` };
    case "array":
      return { type: "array", items: jsonSchemaOf(v.element) };
    case "object": {
      const fields = v.fields as Record<string, AnyValidator>;
      const required = Object.entries(fields)
        .filter(([, f]) => f.isOptional !== "optional")
        .map(([key]) => key);
      return {
        type: "object",
        properties: Object.fromEntries(Object.entries(fields).map(([key, f]) => [key, jsonSchemaOf(f)])),
        ...(required.length > 0 && { required }),
        additionalProperties: false,
      };
    }
    case "union": {
      const members = v.members as AnyValidator[];
      if (members.every((m) => m.kind === "literal")) {
        return { enum: members.map((m) => (m as { value: unknown }).value) };
      }
      return { anyOf: members.map((m) => jsonSchemaOf(m)) };
    }
    default:
      throw new Error(`No JSON Schema for a ${v.kind} validator`);
  }
}
