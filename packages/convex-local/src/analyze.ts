/**
 * What a deployment learns from pushed code before it runs any of it (convex-backend
 * crates/isolate/src/environment/analyze.rs, crates/application/src/lib.rs): each module's
 * functions (kind, visibility, argument and return validators), the HTTP routes of `http.js`, the
 * cron jobs of `crons.js`, the schema of `schema.js` (indexes end with `_creationTime`), the auth
 * providers of `auth.config.js`, and the app definition of `convex.config.js`. The JSON forms are
 * the ones a deployment answers in `start_push`, which the Convex CLI generates code from.
 */
import { jsonToConvex, type JSONValue } from "convex/values";
import { cronCanMatch, CronExpressionError, parseCronExpression } from "./cron";
import type { SourceMaps } from "./source-maps";
import { mapStackLocations } from "./source-maps";
import {
  argsValidatorString,
  canonicalValidator,
  documentValidator,
  InvalidValidator,
  returnsValidatorString,
  type ValidatorJson,
} from "./validators";

/** A push the deployment refuses: HTTP 400 with this code and message (the CLI prints both). */
export class PushError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "PushError";
  }
}

export type UdfType = "Query" | "Mutation" | "Action";
export type SourcePosition = { path: string; start_lineno: number; start_col: number };
export type AnalyzedFunction = {
  name: string;
  pos: SourcePosition | null;
  udfType: UdfType;
  visibility: { kind: "public" } | { kind: "internal" } | null;
  args: string | null;
  returns: string | null;
};
export type HttpRoute = { route: { path: string; method: string }; pos: SourcePosition | null };
export type CronSpec = {
  identifier: string;
  spec: { udfPath: string; udfArgs: number[]; cronSchedule: Record<string, unknown> };
};
export type AnalyzedModule = {
  functions: AnalyzedFunction[];
  httpRoutes: HttpRoute[] | null;
  cronSpecs: CronSpec[] | null;
  sourceMapped: {
    sourceIndex: number;
    functions: AnalyzedFunction[];
    httpRoutes: HttpRoute[] | null;
    cronSpecs: CronSpec[] | null;
  } | null;
};

export type IndexJson = { indexDescriptor: string; fields: string[] };
export type SearchIndexJson = { indexDescriptor: string; searchField: string; filterFields: string[] };
export type VectorIndexJson = {
  indexDescriptor: string;
  vectorField: string;
  dimensions: number;
  dimension: null;
  filterFields: string[];
};
export type TableDefinitionJson = {
  tableName: string;
  indexes: IndexJson[];
  stagedDbIndexes: IndexJson[];
  searchIndexes: SearchIndexJson[];
  stagedSearchIndexes: SearchIndexJson[];
  vectorIndexes: VectorIndexJson[];
  stagedVectorIndexes: VectorIndexJson[];
  documentType: ValidatorJson | null;
};
export type DatabaseSchemaJson = { tables: TableDefinitionJson[]; schemaValidation: boolean };

export type AuthInfo =
  | { applicationID: string; domain: string }
  | { type: "customJwt"; applicationID: string | null; issuer: string; jwks: string; algorithm: string };

export type EnvVarDeclaration = [string, { type: "value"; value: string; optional?: boolean }];
/** How a parent binds a child component's variable: a literal, or one of its own variables. */
export type EnvBinding = { type: "value"; value: string } | { type: "envVar"; name: string };
/** One `app.use(child, { name, env })` of a definition. */
export type ChildComponentJson = { name: string; path: string; args: unknown[]; env: [string, EnvBinding][] | null };
/** A tree of exported functions as definitions report it (`ComponentExports` of the CLI). */
export type ExportsJson = { type: "leaf"; leaf: string } | { type: "branch"; branch: [string, ExportsJson][] };
export type DefinitionMetadata = {
  /** The definition's path relative to the app's functions directory; "" for the app. */
  path: string;
  definitionType: { type: "app" } | { type: "childComponent"; name: string; args: unknown[] };
  childComponents: ChildComponentJson[];
  httpMounts: Record<string, string>;
  httpPrefix: string | null;
  exports: { type: "branch"; branch: [string, ExportsJson][] };
  envVars?: EnvVarDeclaration[];
};

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9_]{0,63}$/;
const FUNCTION_NAME = /^[a-zA-Z_$][a-zA-Z0-9_$]*$/;
const ROUTABLE_METHODS = new Set(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

/** How a JavaScript error reads in a deployment's messages: `Uncaught Error: boom` and its frames. */
export function describeJsError(error: unknown): string {
  if (!(error instanceof Error)) return `Uncaught ${String(error)}`;
  const frames = (error.stack ?? "")
    .split("\n")
    .filter((line) => line.startsWith("    at "))
    .map(mapStackLocations)
    .filter((line): line is string => line !== null)
    .slice(0, 5);
  return [`Uncaught ${error.name}: ${error.message}`, ...frames].join("\n");
}

function has(object: object, property: string): boolean {
  return property in object;
}

function exported(value: unknown, method: "exportArgs" | "exportReturns", where: string): string | null {
  const fn = (value as Record<string, unknown>)[method];
  if (fn === undefined) return null;
  if (typeof fn !== "function")
    throw new PushError("InvalidModules", `${where}.${method} is not a function or \`undefined\`.`);
  const result: unknown = (fn as () => unknown).call(value);
  if (typeof result !== "string") {
    throw new PushError(
      "InvalidModules",
      `Invalid ${method} return value: ${where}.${method}() didn't return a string.`,
    );
  }
  try {
    return method === "exportArgs" ? argsValidatorString(result) : returnsValidatorString(result);
  } catch (error) {
    const message = error instanceof InvalidValidator ? error.message : (error as Error).message;
    throw new PushError("InvalidModules", `Invalid JSON returned from ${where}.${method}(): ${message}`);
  }
}

function handlerOf(value: object): unknown {
  return "_handler" in value ? (value as { _handler: unknown })._handler : value;
}

function sortByPosition<T extends { pos: SourcePosition | null }>(items: T[]): T[] {
  const key = (pos: SourcePosition | null) => (pos === null ? [-1, -1] : [pos.start_lineno, pos.start_col]);
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => {
      const [la, ca] = key(a.item.pos);
      const [lb, cb] = key(b.item.pos);
      return la! - lb! || ca! - cb! || a.index - b.index;
    })
    .map(({ item }) => item);
}

/** The functions, routes and cron jobs of one module, as a deployment's analysis reports them. */
export function analyzeModule(
  modulePath: string,
  namespace: Record<string, unknown>,
  maps: SourceMaps,
  /** Where the module is in `maps` relative to its path (a component's directory in the code directory). */
  mapsPrefix = "",
): AnalyzedModule {
  const functions: AnalyzedFunction[] = [];
  for (const name of Object.keys(namespace).sort(byCodePoint)) {
    const value = namespace[name];
    if ((typeof value !== "object" && typeof value !== "function") || value === null) continue;
    const isQuery = has(value, "isQuery");
    const isMutation = has(value, "isMutation");
    const isAction = has(value, "isAction");
    const udfType: UdfType | null =
      isQuery && !isMutation && !isAction
        ? "Query"
        : !isQuery && isMutation && !isAction
          ? "Mutation"
          : !isQuery && !isMutation && isAction
            ? "Action"
            : null;
    if (udfType === null) continue;
    const isPublic = has(value, "isPublic");
    const isInternal = has(value, "isInternal");
    if (isPublic && isInternal) continue;
    const where = `${JSON.stringify(modulePath)}:${name}`;
    if (!FUNCTION_NAME.test(name)) {
      throw new PushError("InvalidFunctionName", `Invalid function name used in \`${modulePath}\`: ${name}`);
    }
    const args = exported(value, "exportArgs", where) ?? JSON.stringify({ type: "any" });
    const returns = exported(value, "exportReturns", where) ?? "null";
    const handler = handlerOf(value);
    if (typeof handler !== "function") {
      throw new PushError("InvalidModules", `${where}.handler is not a function.`);
    }
    functions.push({
      name,
      pos: maps.position(mapsPrefix + modulePath, handler),
      udfType,
      visibility: isPublic ? { kind: "public" } : isInternal ? { kind: "internal" } : null,
      args,
      returns,
    });
  }
  const httpRoutes = modulePath === "http.js" ? analyzeHttp(namespace, maps, mapsPrefix) : null;
  const cronSpecs = modulePath === "crons.js" ? analyzeCrons(namespace) : null;
  const sortedFunctions = sortByPosition(functions);
  const sortedRoutes = httpRoutes === null ? null : sortByPosition(httpRoutes);
  const sourceIndex = maps.sourceIndex(mapsPrefix + modulePath);
  return {
    functions: sortedFunctions,
    httpRoutes: sortedRoutes,
    cronSpecs,
    sourceMapped:
      sourceIndex === null ? null : { sourceIndex, functions: sortedFunctions, httpRoutes: sortedRoutes, cronSpecs },
  };
}

function analyzeHttp(namespace: Record<string, unknown>, maps: SourceMaps, mapsPrefix: string): HttpRoute[] {
  if (!("default" in namespace)) {
    throw new PushError("InvalidModules", "`convex/http.js` must have a default export of a Router.");
  }
  const router = namespace.default as { isRouter?: unknown; getRoutes?: unknown } | null;
  if (typeof router !== "object" || router === null || router.isRouter !== true) {
    throw new PushError("InvalidModules", "The default export of `convex/http.js` is not a Router.");
  }
  if (typeof router.getRoutes !== "function") {
    throw new PushError("InvalidModules", ".getRoutes property on Router not found");
  }
  const routesError = (detail: string) =>
    new PushError(
      "InvalidModules",
      `The \`getRoutes()\` method of Router did not return the expected type. \`getRoutes()\` should be a function returning an array of entries of the form [path: string, method: string, handler: HttpAction] (${detail})`,
    );
  const routes: unknown = (router.getRoutes as () => unknown).call(router);
  if (!Array.isArray(routes)) throw routesError("return value is not an array");
  return routes.map((entry: unknown, i): HttpRoute => {
    if (!Array.isArray(entry)) throw routesError(`arr[${i}] is not an object`);
    const [path, method, action] = entry as [unknown, unknown, unknown];
    if (typeof path !== "string") throw routesError(`arr[${i}][0] is not a string`);
    if (typeof method !== "string") throw routesError(`arr[${i}][1] is not a string`);
    if (!ROUTABLE_METHODS.has(method)) {
      throw routesError(`'${method}' is not not a routable method (one of GET, POST, PUT, DELETE, PATCH, OPTIONS)`);
    }
    if ((typeof action !== "object" && typeof action !== "function") || action === null) {
      throw routesError(`arr[${i}][2] not an HttpAction`);
    }
    return { route: { path, method }, pos: maps.position(`${mapsPrefix}http.js`, handlerOf(action)) };
  });
}

function analyzeCrons(namespace: Record<string, unknown>): CronSpec[] {
  if (!("default" in namespace)) {
    throw new PushError("InvalidModules", "`convex/crons.js` must have a default export of a Crons object.");
  }
  const crons = namespace.default as { isCrons?: unknown; export?: unknown } | null;
  if (typeof crons !== "object" || crons === null || crons.isCrons !== true) {
    throw new PushError("InvalidModules", "The default export of `convex/crons.js` is not a Crons object.");
  }
  if (typeof crons.export !== "function") {
    throw new PushError("InvalidModules", ".export property on Crons object not found");
  }
  const exportedCrons = JSON.parse((crons.export as () => string).call(crons)) as Record<
    string,
    { name: string; args: JSONValue[]; schedule: Record<string, unknown> }
  >;
  return Object.keys(exportedCrons)
    .sort(byCodePoint)
    .map((identifier) => {
      const job = exportedCrons[identifier]!;
      if (!/^[-_ 'a-zA-Z0-9]+$/.test(identifier)) {
        throw new PushError("InvalidCron", `Invalid cron identifier: ${JSON.stringify(identifier)}`);
      }
      return {
        identifier,
        spec: {
          udfPath: canonicalUdfPath(job.name),
          udfArgs: [...Buffer.from(JSON.stringify(job.args ?? [{}]), "utf8")],
          cronSchedule: cronSchedule(job.schedule, identifier),
        },
      };
    });
}

function canonicalUdfPath(name: string): string {
  const separator = name.lastIndexOf(":");
  const modulePath = separator === -1 ? name : name.slice(0, separator);
  const fn = separator === -1 ? "default" : name.slice(separator + 1);
  return `${modulePath.endsWith(".js") ? modulePath : `${modulePath}.js`}:${fn}`;
}

function cronSchedule(schedule: Record<string, unknown>, identifier: string): Record<string, unknown> {
  const invalid = (detail: string) => new PushError("InvalidCron", `Cron ${JSON.stringify(identifier)}: ${detail}`);
  const minute = (value: unknown) => {
    if (value === undefined) return null;
    if (typeof value !== "number" || value < 0 || value > 59) throw invalid("minuteUTC must be 0-59");
    return value;
  };
  const hour = (value: unknown) => {
    if (typeof value !== "number" || value < 0 || value > 23) throw invalid("hourUTC must be 0-23");
    return value;
  };
  switch (schedule.type) {
    case "interval": {
      const parts = ["seconds", "minutes", "hours"].filter((unit) => schedule[unit] !== undefined);
      if (parts.length !== 1) throw invalid("Exactly one of seconds, minutes or hours must be set");
      const amount = Number(schedule[parts[0]!]);
      if (!(amount > 0)) throw invalid("Interval must be positive");
      const seconds = amount * { seconds: 1, minutes: 60, hours: 3600 }[parts[0] as "seconds" | "minutes" | "hours"];
      return { type: "interval", seconds };
    }
    case "hourly":
      return { type: "hourly", minuteUTC: minute(schedule.minuteUTC) };
    case "daily":
      return { type: "daily", hourUTC: hour(schedule.hourUTC), minuteUTC: minute(schedule.minuteUTC) };
    case "weekly": {
      const day = DAYS.indexOf(String(schedule.dayOfWeek).toLowerCase());
      if (day === -1) throw invalid(`invalid dayOfWeek ${JSON.stringify(schedule.dayOfWeek)}`);
      return { type: "weekly", dayOfWeek: day, hourUTC: hour(schedule.hourUTC), minuteUTC: minute(schedule.minuteUTC) };
    }
    case "monthly":
      return {
        type: "monthly",
        day: schedule.day,
        hourUTC: hour(schedule.hourUTC),
        minuteUTC: minute(schedule.minuteUTC),
      };
    case "cron":
      return { type: "cron", cronExpr: cronExpression(schedule.cron, invalid) };
    default:
      throw invalid(`unknown schedule type ${JSON.stringify(schedule.type)}`);
  }
}

/** A `crons.cron` expression the backend accepts (crates/model/src/cron_jobs/types.rs), or the reason it refuses it. */
function cronExpression(text: unknown, invalid: (detail: string) => PushError): string {
  if (typeof text !== "string") throw invalid("the cron expression must be a string");
  try {
    if (!cronCanMatch(parseCronExpression(text)))
      throw invalid(`The cron spec ${JSON.stringify(text)} will never match any time`);
  } catch (error) {
    if (error instanceof CronExpressionError) throw invalid(`${error.message} ${JSON.stringify(text)}`);
    throw error;
  }
  return text;
}

function checkIndexName(table: string, name: unknown): string {
  if (typeof name !== "string" || !/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/.test(name)) {
    throw new PushError(
      "InvalidIndexName",
      `Invalid index name: "${String(name)}". Identifiers must be 64 characters or less, start with a letter, and only contain letters, digits, underscores.`,
    );
  }
  if (name.startsWith("_") || name === "by_id" || name === "by_creation_time") {
    throw new PushError(
      "IndexNameReserved",
      `In table "${table}" cannot name an index "${name}" because the name is reserved. Indexes may not start with an underscore or be named "by_id" or "by_creation_time".`,
    );
  }
  return name;
}

function databaseIndexes(table: string, raw: unknown, staged: boolean): IndexJson[] {
  const indexes = (Array.isArray(raw) ? raw : []) as { indexDescriptor?: unknown; fields?: unknown }[];
  return indexes
    .map((index) => {
      const name = checkIndexName(table, index.indexDescriptor);
      const fields = Array.isArray(index.fields) ? index.fields.map(String) : [];
      if (fields.length === 0) {
        throw new PushError(
          "EmptyIndex",
          `In table "${table}" ${staged ? "staged " : ""}index "${name}" must have at least one field.`,
        );
      }
      if (fields.includes("_id")) {
        throw new PushError(
          "IndexFieldsContainId",
          "`_id` is not a valid index field. To load documents by ID, use `db.get(id)`.",
        );
      }
      if (fields.includes("_creationTime")) {
        throw new PushError(
          "IndexFieldsContainCreationTime",
          "`_creationTime` is automatically added to the end of each index. It should not be added to index definitions. See https://docs.convex.dev/using/indexes for more details.",
        );
      }
      if (fields.some((field) => field.split(".").some((part) => part.startsWith("_")))) {
        throw new PushError(
          "IndexFieldNameReserved",
          "Reserved fields (starting with `_`) are not allowed in indexes.",
        );
      }
      if (new Set(fields).size !== fields.length) {
        const duplicate = fields.find((field, i) => fields.indexOf(field) !== i)!;
        throw new PushError(
          "FieldsNotUniqueWithinIndex",
          `Duplicate field ${duplicate}. Index fields must be unique within an index.`,
        );
      }
      return { indexDescriptor: name, fields: [...fields, "_creationTime"] };
    })
    .sort((a, b) => byCodePoint(a.indexDescriptor, b.indexDescriptor));
}

function searchIndexes(table: string, raw: unknown): SearchIndexJson[] {
  const indexes = (Array.isArray(raw) ? raw : []) as Record<string, unknown>[];
  return indexes
    .map((index) => ({
      indexDescriptor: checkIndexName(table, index.indexDescriptor),
      searchField: String(index.searchField),
      filterFields: (Array.isArray(index.filterFields) ? index.filterFields.map(String) : []).sort(byCodePoint),
    }))
    .sort((a, b) => byCodePoint(a.indexDescriptor, b.indexDescriptor));
}

function vectorIndexes(table: string, raw: unknown): VectorIndexJson[] {
  const indexes = (Array.isArray(raw) ? raw : []) as Record<string, unknown>[];
  return indexes
    .map((index) => ({
      indexDescriptor: checkIndexName(table, index.indexDescriptor),
      vectorField: String(index.vectorField),
      dimensions: Number(index.dimensions ?? index.dimension),
      dimension: null,
      filterFields: (Array.isArray(index.filterFields) ? index.filterFields.map(String) : []).sort(byCodePoint),
    }))
    .sort((a, b) => byCodePoint(a.indexDescriptor, b.indexDescriptor));
}

/** The schema a `SchemaDefinition.export()` describes, checked and serialized as a deployment does. */
export function parseSchema(exportedText: string): DatabaseSchemaJson {
  const parsed = JSON.parse(exportedText) as { tables?: unknown; schemaValidation?: unknown };
  const tables = (Array.isArray(parsed.tables) ? parsed.tables : []) as Record<string, unknown>[];
  const seen = new Set<string>();
  const definitions = tables.map((table): TableDefinitionJson => {
    const name = table.tableName;
    if (typeof name !== "string" || !IDENTIFIER.test(name)) {
      if (typeof name === "string" && name.startsWith("_")) {
        throw new PushError("TableNameReserved", `${name} is a reserved table name.`);
      }
      throw new PushError(
        "InvalidTableName",
        `Invalid table name: "${String(name)}". Identifiers must start with a letter and can only contain letters, digits, and underscores.`,
      );
    }
    seen.add(name);
    let documentType: ValidatorJson | null = null;
    try {
      documentType = table.documentType === undefined ? null : documentValidator(table.documentType);
    } catch (error) {
      throw new PushError("InvalidSchema", `In table "${name}": ${(error as Error).message}`);
    }
    const definition: TableDefinitionJson = {
      tableName: name,
      indexes: databaseIndexes(name, table.indexes, false),
      stagedDbIndexes: databaseIndexes(name, table.stagedDbIndexes, true),
      searchIndexes: searchIndexes(name, table.searchIndexes),
      stagedSearchIndexes: searchIndexes(name, table.stagedSearchIndexes),
      vectorIndexes: vectorIndexes(name, table.vectorIndexes),
      stagedVectorIndexes: vectorIndexes(name, table.stagedVectorIndexes),
      documentType,
    };
    const names = [
      ...definition.indexes,
      ...definition.stagedDbIndexes,
      ...definition.searchIndexes,
      ...definition.stagedSearchIndexes,
      ...definition.vectorIndexes,
      ...definition.stagedVectorIndexes,
    ].map((index) => index.indexDescriptor);
    const duplicate = names.find((index, i) => names.indexOf(index) !== i);
    if (duplicate !== undefined) {
      throw new PushError(
        "IndexNamesNotUnique",
        `Table "${name}" has two or more definitions of index "${duplicate}".`,
      );
    }
    const byFields = new Map<string, string>();
    for (const index of [...definition.indexes, ...definition.stagedDbIndexes]) {
      const key = JSON.stringify(index.fields);
      const other = byFields.get(key);
      if (other !== undefined) {
        const [first, second] = [other, index.indexDescriptor].sort(byCodePoint);
        throw new PushError(
          "IndexNotUnique",
          `In table "${name}" index "${second}" and index "${first}" have the same fields. Indexes must be unique within a table.`,
        );
      }
      byFields.set(key, index.indexDescriptor);
    }
    return definition;
  });
  if (seen.size !== definitions.length) throw new PushError("InvalidSchema", "A table is defined twice in the schema.");
  return {
    tables: definitions.sort((a, b) => byCodePoint(a.tableName, b.tableName)),
    schemaValidation: parsed.schemaValidation === true,
  };
}

/** The providers of an `auth.config.js` default export, as a deployment keeps them. */
export function parseAuthConfig(config: unknown): AuthInfo[] {
  const invalid = (detail: string) =>
    new PushError("InvalidAuthConfig", `The pushed auth config is invalid: ${detail}`);
  if (typeof config !== "object" || config === null)
    throw invalid("auth.config.ts must export a config object by default");
  const providers = (config as { providers?: unknown }).providers;
  if (!Array.isArray(providers)) throw invalid("`providers` must be an array");
  return providers.map((provider: unknown, index): AuthInfo => {
    const p = (provider ?? {}) as Record<string, unknown>;
    if (p.type === "customJwt") {
      if (typeof p.issuer !== "string" || typeof p.jwks !== "string") {
        throw invalid(`providers[${index}]: a customJwt provider needs \`issuer\` and \`jwks\``);
      }
      if (p.algorithm !== "RS256" && p.algorithm !== "ES256") {
        throw invalid(
          `Invalid signature algorithm (only RS256 and ES256 are supported): ${JSON.stringify(p.algorithm)}`,
        );
      }
      if (p.applicationID !== undefined && p.applicationID !== null && typeof p.applicationID !== "string") {
        throw invalid(`providers[${index}]: \`applicationID\` must be a string`);
      }
      return {
        type: "customJwt",
        applicationID: typeof p.applicationID === "string" ? p.applicationID : null,
        issuer: p.issuer,
        jwks: p.jwks,
        algorithm: p.algorithm,
      };
    }
    if (typeof p.domain !== "string" || typeof p.applicationID !== "string") {
      throw invalid(`providers[${index}]: an OIDC provider needs \`domain\` and \`applicationID\` strings`);
    }
    return { applicationID: p.applicationID, domain: p.domain };
  });
}

function parseEnvDeclarations(owner: string, declarations: unknown): EnvVarDeclaration[] {
  if (declarations === undefined || declarations === null) return [];
  if (!Array.isArray(declarations)) throw new PushError("InvalidDefinition", `${owner}: envVars must be a list`);
  for (const entry of declarations as EnvVarDeclaration[]) {
    const [name, declaration] = entry;
    let validator: ValidatorJson;
    try {
      validator = canonicalValidator(JSON.parse(declaration.value));
    } catch {
      validator = { type: "any" };
    }
    const stringLike = (v: ValidatorJson): boolean =>
      v.type === "string" ||
      (v.type === "literal" && typeof jsonToConvex(v.value) === "string") ||
      (v.type === "union" && v.value.every(stringLike));
    if (!stringLike(validator)) {
      throw new PushError(
        "InvalidEnvVarDeclaration",
        `Env var \`${name}\` on ${owner} has a non-string validator. Component env vars must be declared with \`v.string()\`, \`v.literal("...")\`, or a union of those.`,
      );
    }
  }
  return declarations as EnvVarDeclaration[];
}

function parseChildComponents(owner: string, children: unknown): ChildComponentJson[] {
  if (!Array.isArray(children)) return [];
  const seen = new Set<string>();
  return children.map((child: Record<string, unknown>) => {
    const name = child.name;
    if (typeof name !== "string" || !IDENTIFIER.test(name)) {
      throw new PushError(
        "InvalidComponentName",
        `${owner}: component name ${JSON.stringify(name)} must start with a letter and contain only letters, digits and underscores (at most 64 characters).`,
      );
    }
    if (seen.has(name)) {
      throw new PushError(
        "DuplicateComponentName",
        `${owner} uses two components named "${name}": give one another name with \`app.use(component, { name: "…" })\`.`,
      );
    }
    seen.add(name);
    if (typeof child.path !== "string")
      throw new PushError("InvalidDefinition", `${owner}: component "${name}" has no path`);
    return {
      name,
      path: child.path,
      args: [],
      env: Array.isArray(child.env) ? (child.env as [string, EnvBinding][]) : null,
    };
  });
}

/**
 * The definition a `convex.config.js` default export describes (`defineApp()`'s or
 * `defineComponent()`'s `export()`), for the app (`path` "") or the component at `path`.
 */
export function parseDefinition(definition: unknown, path: string): DefinitionMetadata {
  const isApp = path === "";
  const owner = isApp ? "the app" : `component ${path}`;
  const value = definition as { export?: unknown } | null;
  if (typeof value !== "object" || value === null || typeof value.export !== "function") {
    throw new PushError(
      "InvalidDefinition",
      isApp
        ? "The default export of convex.config.ts must be `defineApp()`."
        : `The default export of ${path}/convex.config.ts must be \`defineComponent(...)\`.`,
    );
  }
  const exported = (value.export as () => Record<string, unknown>).call(value);
  const type = exported.definitionType as { type?: unknown; name?: unknown } | undefined;
  if (isApp && type?.type !== "app") {
    throw new PushError("InvalidDefinition", "convex.config.ts must define an app (`defineApp()`).");
  }
  if (!isApp && (type?.type !== "childComponent" || typeof type.name !== "string")) {
    throw new PushError(
      "InvalidDefinition",
      `${path}/convex.config.ts must define a component (\`defineComponent(name)\`).`,
    );
  }
  const envVars = parseEnvDeclarations(owner, exported.envVars);
  const httpMounts: Record<string, string> = {};
  for (const [prefix, reference] of Object.entries((exported.httpMounts as Record<string, unknown>) ?? {})) {
    if (typeof reference === "string") httpMounts[prefix] = reference;
  }
  return {
    path,
    definitionType: isApp ? { type: "app" } : { type: "childComponent", name: type!.name as string, args: [] },
    childComponents: parseChildComponents(owner, exported.childComponents),
    httpMounts,
    httpPrefix: isApp && typeof exported.httpPrefix === "string" ? exported.httpPrefix : null,
    exports: { type: "branch", branch: [] },
    ...(envVars.length > 0 && { envVars }),
  };
}

/**
 * A component's exports: every public function, by module path and name (as a deployment builds
 * them, crates/model/src/components/file_based_routing.rs).
 */
export function fileBasedExports(functions: Record<string, AnalyzedModule>): DefinitionMetadata["exports"] {
  type Node = Map<string, Node | string>;
  const root: Node = new Map();
  for (const [modulePath, analyzed] of Object.entries(functions)) {
    const parts = modulePath.replace(/\.js$/, "").split("/");
    for (const fn of analyzed.functions) {
      if (fn.visibility?.kind !== "public") continue;
      let node = root;
      for (const part of parts) {
        const child = node.get(part);
        if (typeof child === "string") {
          throw new PushError("InvalidExport", `Path "${modulePath}":${fn.name} conflicts with existing export`);
        }
        if (child === undefined) node.set(part, (node = new Map()));
        else node = child;
      }
      if (node.has(fn.name)) {
        throw new PushError("InvalidExport", `Path "${modulePath}":${fn.name} conflicts with existing export`);
      }
      node.set(fn.name, `_reference/function/${modulePath}:${fn.name}`);
    }
  }
  const serialize = (node: Node): [string, ExportsJson][] =>
    [...node.entries()]
      .sort(([a], [b]) => byCodePoint(a, b))
      .map(([key, child]) => [
        key,
        typeof child === "string" ? { type: "leaf", leaf: child } : { type: "branch", branch: serialize(child) },
      ]);
  return { type: "branch", branch: serialize(root) };
}

/** The names of the variables the app definition declares as required. */
export function requiredEnvVars(definition: DefinitionMetadata | null): string[] {
  return (definition?.envVars ?? []).filter(([, declaration]) => declaration.optional !== true).map(([name]) => name);
}
