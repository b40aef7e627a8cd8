/**
 * Convex validators as a deployment handles them (convex-backend crates/common/src/schemas):
 * - the JSON a deployment answers in a push's analysis (`ValidatorJson`: fields sorted, `map` and
 *   `set` read as `any`), for function arguments and return values and for table documents;
 * - the check of a stored document against a pushed schema, with the deployment's messages
 *   (`ValidationError`), so a push the data violates is refused in the words the CLI prints.
 */
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";

export type ValidatorJson =
  | { type: "null" | "number" | "bigint" | "commitTs" | "boolean" | "string" | "bytes" | "any" }
  | { type: "literal"; value: JSONValue }
  | { type: "id"; tableName: string }
  | { type: "array"; value: ValidatorJson }
  | { type: "record"; keys: ValidatorJson; values: FieldJson }
  | { type: "object"; value: Record<string, FieldJson> }
  | { type: "union"; value: ValidatorJson[] };
export type FieldJson = { fieldType: ValidatorJson; optional: boolean };

/** A validator the deployment refuses; the message is the deployment's. */
export class InvalidValidator extends Error {}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses a validator's JSON into the form a deployment serializes back, checking it as it does. */
export function canonicalValidator(json: unknown): ValidatorJson {
  if (!isRecord(json) || typeof json.type !== "string") throw new InvalidValidator("Invalid validator JSON");
  switch (json.type) {
    case "null":
    case "number":
    case "bigint":
    case "commitTs":
    case "boolean":
    case "string":
    case "bytes":
    case "any":
      return { type: json.type };
    case "map":
    case "set":
      return { type: "any" };
    case "literal": {
      const value = json.value as JSONValue;
      const literal = jsonToConvex(value);
      if (typeof literal === "number" && !Number.isFinite(literal)) {
        throw new InvalidValidator("Infinite or NaN values are not supported in literal validators.");
      }
      if (!["number", "bigint", "boolean", "string"].includes(typeof literal)) {
        throw new InvalidValidator(`Invalid literal validator value: ${JSON.stringify(value)}`);
      }
      return { type: "literal", value: convexToJson(literal) };
    }
    case "id":
      if (typeof json.tableName !== "string") throw new InvalidValidator("Id validator without a table name");
      return { type: "id", tableName: json.tableName };
    case "array":
      return { type: "array", value: canonicalValidator(json.value) };
    case "record": {
      const keys = canonicalValidator(json.keys);
      const values = canonicalField(json.values);
      if (!isStringLike(keys)) {
        throw new InvalidValidator(
          `Records can only have string keys. Your validator contains a record with key typed as \`${formatValidator(keys)}\`, which is not a subtype of \`v.string()\``,
        );
      }
      if (values.optional) throw new InvalidValidator("Records cannot have optional values");
      return { type: "record", keys, values };
    }
    case "object": {
      if (!isRecord(json.value)) throw new InvalidValidator("Object validator without fields");
      const fields: Record<string, FieldJson> = {};
      for (const name of Object.keys(json.value).sort(byCodePoint)) {
        try {
          fields[name] = canonicalField(json.value[name]);
        } catch (error) {
          throw new InvalidValidator(`Invalid validator for key \`${name}\`: ${(error as Error).message}`);
        }
      }
      return { type: "object", value: fields };
    }
    case "union": {
      if (!Array.isArray(json.value)) throw new InvalidValidator("Union validator without members");
      return { type: "union", value: json.value.map(canonicalValidator) };
    }
    default:
      throw new InvalidValidator(`Unknown validator type \`${json.type}\``);
  }
}

function canonicalField(json: unknown): FieldJson {
  if (!isRecord(json)) throw new InvalidValidator("Invalid field validator JSON");
  return { fieldType: canonicalValidator(json.fieldType), optional: json.optional === true };
}

function isStringLike(validator: ValidatorJson): boolean {
  switch (validator.type) {
    case "string":
    case "id":
      return true;
    case "literal":
      return typeof validator.value === "string";
    case "union":
      return validator.value.every(isStringLike);
    default:
      return false;
  }
}

/** `exportArgs()`'s JSON as a deployment stores it: an object validator, or `any` when unvalidated. */
export function argsValidatorString(exported: string): string {
  const validator = canonicalValidator(JSON.parse(exported));
  if (validator.type !== "object" && validator.type !== "any") {
    throw new InvalidValidator("Args validator must be an object or any");
  }
  return JSON.stringify(validator);
}

/** `exportReturns()`'s JSON as a deployment stores it: `null` when there is none. */
export function returnsValidatorString(exported: string): string {
  const parsed: unknown = JSON.parse(exported);
  return parsed === null ? "null" : JSON.stringify(canonicalValidator(parsed));
}

/** A table's document validator as a deployment keeps it: system fields dropped from its objects. */
export function documentValidator(json: unknown): ValidatorJson {
  const validator = canonicalValidator(json);
  const withoutSystemFields = (object: ValidatorJson): ValidatorJson => {
    if (object.type !== "object") {
      throw new InvalidValidator(
        `The document validator of a table must be an object or a union of objects, not ${formatValidator(object)}`,
      );
    }
    return {
      type: "object",
      value: Object.fromEntries(Object.entries(object.value).filter(([name]) => !name.startsWith("_"))),
    };
  };
  if (validator.type === "any") return validator;
  if (validator.type === "union") {
    const members = validator.value.map(withoutSystemFields);
    return members.length === 1 ? members[0]! : { type: "union", value: members };
  }
  return withoutSystemFields(validator);
}

/** As a deployment prints a validator: `v.object({body: v.string()})`. */
export function formatValidator(validator: ValidatorJson): string {
  switch (validator.type) {
    case "id":
      return `v.id(${JSON.stringify(validator.tableName)})`;
    case "null":
      return "v.null()";
    case "number":
      return "v.float64()";
    case "bigint":
      return "v.int64()";
    case "commitTs":
      return "v.commitTs()";
    case "boolean":
      return "v.boolean()";
    case "string":
      return "v.string()";
    case "bytes":
      return "v.bytes()";
    case "any":
      return "v.any()";
    case "literal": {
      const value = jsonToConvex(validator.value);
      const text =
        typeof value === "bigint" ? "<bigint>" : typeof value === "number" ? formatFloat(value) : JSON.stringify(value);
      return `v.literal(${text})`;
    }
    case "array":
      return `v.array(${formatValidator(validator.value)})`;
    case "record":
      return `v.record(${formatValidator(validator.keys)}, ${formatValidator(validator.values.fieldType)})`;
    case "object":
      return `v.object({${Object.entries(validator.value)
        .map(([name, field]) => `${name}: ${formatField(field)}`)
        .join(", ")}})`;
    case "union":
      return `v.union(${validator.value.map(formatValidator).join(", ")})`;
  }
}

function formatField(field: FieldJson): string {
  return field.optional ? `v.optional(${formatValidator(field.fieldType)})` : formatValidator(field.fieldType);
}

/** Rust's `{:?}` of an f64, as a deployment prints numbers: `1.0`, `0.5`, `NaN`. */
function formatFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (Object.is(n, -0)) return "-0.0";
  const text = String(n).replace("e+", "e");
  return Number.isInteger(n) && !text.includes("e") ? `${text}.0` : text;
}

/** As a deployment prints a value: `{body: "hi", n: 1.0}`. */
export function formatValue(value: Value): string {
  if (value === null) return "null";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return formatFloat(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof ArrayBuffer) return `b${JSON.stringify(Buffer.from(value).toString("base64"))}`;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  const object = value as Record<string, Value | undefined>;
  return `{${Object.keys(object)
    .sort(byCodePoint)
    .filter((key) => object[key] !== undefined)
    .map((key) => `${key}: ${formatValue(object[key]!)}`)
    .join(", ")}}`;
}

/** A document or value that does not match; `message` is the deployment's `ValidationError`. */
export class ValidationFailure extends Error {
  readonly reversedPath: string[] = [];
  constructor(private readonly render: (context: string) => string) {
    // No message of its own: `message` is rendered from the path collected on the way up. No stack
    // either: a union tries its members by catching these, and capturing a stack each time cost
    // more than the check.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super();
    Error.stackTraceLimit = limit;
  }
  at(segment: string): this {
    this.reversedPath.push(segment);
    return this;
  }
  override get message(): string {
    const context = this.reversedPath.length === 0 ? "" : `Path: ${[...this.reversedPath].reverse().join("")}`;
    return this.render(context);
  }
}

function sameValue(a: Value, b: Value): boolean {
  return JSON.stringify(convexToJson(a)) === JSON.stringify(convexToJson(b)) && typeof a === typeof b;
}

/** convex-test's ids: a counter followed by the table's name. */
function tableOfId(id: string): string | null {
  const digits = /^[0-9]+/.exec(id);
  return digits === null || digits[0].length === id.length ? null : id.slice(digits[0].length);
}

function noMatch(validator: ValidatorJson, value: Value | undefined): ValidationFailure {
  return new ValidationFailure(
    (context) =>
      `Value does not match validator.\n${context}\nValue: ${formatValue(value ?? null)}\nValidator: ${formatValidator(validator)}`,
  );
}

/** Whether `value` is the literal; string and boolean ones (most of them) compared as they are. */
function matchesLiteral(literal: JSONValue, value: Value | undefined): boolean {
  if (typeof literal === "string" || typeof literal === "boolean") return value === literal;
  return value !== undefined && sameValue(value, jsonToConvex(literal));
}

/** Whether `value` fails `validator` by the first test `checkValue` makes of it (its type, or the literal). */
function ruledOut(validator: ValidatorJson, value: Value | undefined): boolean {
  switch (validator.type) {
    case "null":
      return value !== null;
    case "number":
      return typeof value !== "number";
    case "bigint":
    case "commitTs":
      return typeof value !== "bigint";
    case "boolean":
      return typeof value !== "boolean";
    case "string":
    case "id":
      return typeof value !== "string";
    case "bytes":
      return !(value instanceof ArrayBuffer);
    case "literal":
      return !matchesLiteral(validator.value, value);
    case "array":
      return !Array.isArray(value);
    case "object":
    case "record":
      return !isPlainValue(value);
    default:
      return false;
  }
}

/** An object validator's fields, listed once: documents and results check the same ones many times. */
const fieldLists = new WeakMap<Record<string, FieldJson>, [string, FieldJson][]>();

function fieldsOf(fields: Record<string, FieldJson>): [string, FieldJson][] {
  let list = fieldLists.get(fields);
  if (list === undefined) fieldLists.set(fields, (list = Object.entries(fields)));
  return list;
}

/** Checks `value` as a deployment's `Validator::check_value` does; throws ValidationFailure. */
export function checkValue(validator: ValidatorJson, value: Value | undefined): void {
  switch (validator.type) {
    case "id": {
      const table = typeof value === "string" ? tableOfId(value) : null;
      if (table === null) throw noMatch(validator, value);
      if (table !== validator.tableName) {
        const id = value as string;
        throw new ValidationFailure((context) =>
          table.startsWith("_")
            ? `Found ID "${id}" from a system table, which does not match the table name in validator \`v.id("${validator.tableName}")\`.${context}`
            : `Found ID "${id}" from table \`${table}\`, which does not match the table name in validator \`v.id("${validator.tableName}")\`.${context}`,
        );
      }
      return;
    }
    case "null":
      if (value !== null) throw noMatch(validator, value);
      return;
    case "number":
      if (typeof value !== "number") throw noMatch(validator, value);
      return;
    case "bigint":
    case "commitTs":
      if (typeof value !== "bigint") throw noMatch(validator, value);
      return;
    case "boolean":
      if (typeof value !== "boolean") throw noMatch(validator, value);
      return;
    case "string":
      if (typeof value !== "string") throw noMatch(validator, value);
      return;
    case "bytes":
      if (!(value instanceof ArrayBuffer)) throw noMatch(validator, value);
      return;
    case "any":
      return;
    case "literal": {
      if (!matchesLiteral(validator.value, value)) {
        const shown = formatValidator(validator);
        throw new ValidationFailure(
          (context) => `\`${formatValue(value ?? null)}\` does not match literal validator \`${shown}\`.${context}`,
        );
      }
      return;
    }
    case "array":
      if (!Array.isArray(value)) throw noMatch(validator, value);
      for (let index = 0; index < value.length; index++) {
        try {
          checkValue(validator.value, value[index]);
        } catch (error) {
          throw error instanceof ValidationFailure ? error.at(`[${index}]`) : error;
        }
      }
      return;
    case "record": {
      if (!isPlainValue(value)) throw noMatch(validator, value);
      for (const [key, item] of Object.entries(value)) {
        if (item === undefined) continue;
        try {
          checkValue(validator.keys, key);
        } catch (error) {
          throw error instanceof ValidationFailure ? error.at(".keys()") : error;
        }
        try {
          checkValue(validator.values.fieldType, item);
        } catch (error) {
          throw error instanceof ValidationFailure ? error.at(".values()") : error;
        }
      }
      return;
    }
    case "object": {
      if (!isPlainValue(value)) throw noMatch(validator, value);
      for (const [name, field] of fieldsOf(validator.value)) {
        const item = value[name];
        if (item !== undefined) {
          try {
            checkValue(field.fieldType, item);
          } catch (error) {
            throw error instanceof ValidationFailure ? error.at(`.${name}`) : error;
          }
        } else if (!field.optional) {
          throw new ValidationFailure(
            (context) =>
              `Object is missing the required field \`${name}\`. Consider wrapping the field validator in \`v.optional(...)\` if this is expected.\n${context}\nObject: ${formatValue(value)}\nValidator: ${formatValidator(validator)}`,
          );
        }
      }
      let extra: string[] | undefined;
      for (const name of Object.keys(value)) {
        if (value[name] !== undefined && !(name in validator.value)) (extra ??= []).push(name);
      }
      if (extra === undefined) return;
      // The first by code point, as a deployment names it.
      const name = extra.sort(byCodePoint)[0]!;
      throw new ValidationFailure(
        (context) =>
          `Object contains extra field \`${name}\` that is not in the validator.\n${context}\nObject: ${formatValue(value)}\nValidator: ${formatValidator(validator)}`,
      );
    }
    case "union": {
      if (validator.value.length === 1) return checkValue(validator.value[0]!, value);
      for (const member of validator.value) {
        // A member the value's type already rules out is passed over without building its failure.
        if (ruledOut(member, value)) continue;
        try {
          checkValue(member, value);
          return;
        } catch (error) {
          if (!(error instanceof ValidationFailure)) throw error;
        }
      }
      throw noMatch(validator, value);
    }
  }
}

function isPlainValue(value: Value | undefined): value is Record<string, Value> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof ArrayBuffer) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

/** A field name `convexToJson` takes (the `convex` package's `validateObjectField`). */
export function isFieldName(key: string): boolean {
  if (key.length > 1024 || key.startsWith("$")) return false;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 32 || code >= 127) return false;
  }
  return true;
}
