/**
 * The self-hosted deployment behind the Convex CLI: pushes (`/api/deploy2/*`), environment
 * variables, and the system queries the CLI runs, on top of the engine.
 *
 * A push, as a deployment does it (convex-backend crates/application/src/deploy_config.rs):
 * `start_push` writes the bundles into a new code directory, imports them in the deployment's
 * environment and answers their analysis (functions, routes, crons, schema, auth providers, app
 * definition) — the CLI generates `convex/_generated` from it; the stored documents are checked
 * against the new schema and `wait_for_schema` reports the outcome; `finish_push` swaps the new
 * code in (one transaction: no function sees half of it), keeps the data, and re-runs every live
 * query. A push that fails at any step changes nothing: the previous code keeps serving.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { convexToJson, type JSONValue, type Value } from "convex/values";
import {
  analyzeModule,
  describeJsError,
  fileBasedExports,
  parseAuthConfig,
  parseDefinition,
  parseSchema,
  PushError,
  requiredEnvVars,
  type AnalyzedModule,
  type AuthInfo,
  type CronSpec,
  type DatabaseSchemaJson,
  type DefinitionMetadata,
  type ExportsJson,
  type HttpRoute,
} from "./analyze";
import { providersFromAuthInfo, type TokenVerifier } from "./auth";
import {
  moduleHash,
  type ActiveCode,
  type CodeManifest,
  type CodeStore,
  type ModuleConfig,
  type StoredComponent,
  type StoredModule,
} from "./code-store";
import type { SchemaLike } from "./convex-test-internals";
import {
  checkEnvVarName,
  checkEnvVarSet,
  checkEnvVarValue,
  EnvVarError,
  SYSTEM_ENV_VAR_NAMES,
  type DeploymentScope,
} from "./deployment-env";
import type { Engine, EngineCode, Modules } from "./engine";
import { loadDirectoryDefinitions } from "./directory-components";
import type { OfflineScheduler } from "./scheduler";
import { SourceMaps } from "./source-maps";
import { checkValue, ValidationFailure } from "./validators";

const AUTH_CONFIG = "auth.config.js";
/** How many pushes may wait for `finish_push` at once (older ones are dropped with their code). */
const MAX_PENDING_PUSHES = 4;
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A component definition of one version, imported and analyzed. */
type LoadedDefinition = {
  definitionPath: string;
  /** Its bundles' hashes together: an identical definition in a later push is not imported again. */
  hash: string;
  /** The version whose directory its modules were imported from (and whose source maps map them). */
  origin: string;
  /** The source maps of `origin`. */
  originMaps: SourceMaps;
  metadata: DefinitionMetadata;
  analysis: Record<string, AnalyzedModule>;
  schema: DatabaseSchemaJson | null;
  schemaObject: SchemaLike | null;
  modules: Modules;
};

/** One use of a component definition in the app's tree. */
type ComponentInstance = { componentPath: string; definitionPath: string };

/** The code of one version, imported and analyzed. */
type LoadedCode = {
  version: string;
  maps: SourceMaps;
  engineCode: EngineCode;
  analysis: Record<string, AnalyzedModule>;
  schema: DatabaseSchemaJson | null;
  definition: DefinitionMetadata;
  authInfo: AuthInfo[];
  /** Whether the version has an `auth.config.js`, evaluated again when variables change. */
  hasAuthConfig: boolean;
  /** Component definitions by definition path. */
  definitions: Map<string, LoadedDefinition>;
  /** Every component the app uses, parents before children. */
  instances: ComponentInstance[];
};

/** The versions (other than its own) whose directories and source maps a version's components still use. */
function originsOf(loaded: LoadedCode): Map<string, SourceMaps> {
  const origins = new Map<string, SourceMaps>();
  for (const definition of loaded.definitions.values()) {
    if (definition.origin !== loaded.version) origins.set(definition.origin, definition.originMaps);
  }
  return origins;
}

/** The hash of a stored component definition's bundles. */
function definitionHash(component: StoredComponent): string {
  const bundles = [component.definition, component.schema, ...component.modules];
  return moduleHash({ source: JSON.stringify(bundles.map((bundle) => bundle && [bundle.path, bundle.sha256])) });
}

type SchemaStatus =
  | { type: "complete" }
  | { type: "failed"; error: string; componentPath: string; tableName: string | null }
  | { type: "raceDetected" };

type IndexConfig = { name: string; type: string; staged: boolean; [field: string]: unknown };
type IndexDiff = {
  added_indexes: IndexConfig[];
  removed_indexes: IndexConfig[];
  enabled_indexes: IndexConfig[];
  disabled_indexes: IndexConfig[];
};

type PendingPush = {
  id: string;
  loaded: LoadedCode;
  active: ActiveCode;
  modules: StoredModule[];
  schemaStatus: SchemaStatus;
  indexDiff: IndexDiff;
  environmentVariables: Record<string, string>;
  dryRun: boolean;
  receivedAt: number;
};

/** How long the last push took in the backend (milliseconds), for benchmarks. */
export type PushTimings = {
  /** `start_push`: writing, importing and analyzing the code, checking the data. */
  startPush: number;
  /** `finish_push`: the swap, persisting, and re-running live queries. */
  finishPush: number;
  /** From the start of `start_push` to the end of `finish_push`, including the CLI's time between. */
  total: number;
};

export type DeploymentDeps = {
  store: CodeStore;
  scope: DeploymentScope;
  engine: Engine;
  verifier: TokenVerifier;
  scheduler: OfflineScheduler;
  /** Re-runs every live query of every client. */
  refreshAll: () => void;
  log: (line: string) => void;
  cloudUrl: string;
  siteUrl: string;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function newId(): string {
  // A document id's look: lowercase base32, 32 characters.
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  return [...randomBytes(32)].map((byte) => alphabet[byte % 32]).join("");
}

function int64Json(value: bigint): JSONValue {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64LE(value);
  return { $integer: bytes.toString("base64") };
}

function moduleUrl(dir: string, modulePath: string, query = ""): string {
  return pathToFileURL(path.join(dir, modulePath)).href + query;
}

function parseModule(value: unknown, what: string): ModuleConfig {
  if (!isRecord(value) || typeof value.path !== "string" || typeof value.source !== "string") {
    throw new PushError("InvalidConfig", `${what} must be {path, source, sourceMap?, environment}`);
  }
  if (value.environment !== "isolate" && value.environment !== "node") {
    throw new PushError("InvalidConfig", `${what}: environment must be "isolate" or "node"`);
  }
  if (value.sourceMap !== undefined && value.sourceMap !== null && typeof value.sourceMap !== "string") {
    throw new PushError("InvalidConfig", `${what}: sourceMap must be a string`);
  }
  return {
    path: value.path,
    source: value.source,
    ...(typeof value.sourceMap === "string" && { sourceMap: value.sourceMap }),
    environment: value.environment,
  };
}

/** A `ComponentDefinitionConfig` (deployApi/definitionConfig.ts), checked. */
type ComponentRequest = {
  definitionPath: string;
  definition: ModuleConfig;
  dependencies: string[];
  schema: ModuleConfig | null;
  functions: ModuleConfig[];
};

type StartPushRequest = {
  dryRun: boolean;
  components: ComponentRequest[];
  functions: string;
  definition: ModuleConfig | null;
  schema: ModuleConfig | null;
  changedModules: ModuleConfig[];
  unchangedModuleHashes: StoredModule[];
  udfServerVersion: string;
  nodeVersion: string | null;
};

/** The parts of a `StartPushRequest` (deployApi/startPush.ts) a push uses, checked. */
function parseStartPush(body: unknown): StartPushRequest {
  if (!isRecord(body) || !isRecord(body.appDefinition)) {
    throw new PushError("InvalidConfig", "The push request has no appDefinition");
  }
  const app = body.appDefinition;
  const definitions = body.componentDefinitions ?? [];
  if (!Array.isArray(definitions)) throw new PushError("InvalidConfig", "componentDefinitions must be a list");
  const components = definitions.map((entry: unknown, i): ComponentRequest => {
    const what = `componentDefinitions[${i}]`;
    if (!isRecord(entry) || typeof entry.definitionPath !== "string" || !Array.isArray(entry.functions)) {
      throw new PushError(
        "InvalidConfig",
        `${what} must be {definitionPath, definition, dependencies, schema, functions}`,
      );
    }
    const definitionPath = entry.definitionPath;
    if (definitionPath === "" || definitionPath.length > 1024 || /[\0\\]/.test(definitionPath)) {
      throw new PushError("InvalidConfig", `${what}: invalid definitionPath ${JSON.stringify(definitionPath)}`);
    }
    const dependencies = Array.isArray(entry.dependencies) ? entry.dependencies : [];
    if (!dependencies.every((dependency): dependency is string => typeof dependency === "string")) {
      throw new PushError("InvalidConfig", `${what}: dependencies must be definition paths`);
    }
    return {
      definitionPath,
      definition: parseModule(entry.definition, `${what}.definition`),
      dependencies,
      schema: entry.schema === null || entry.schema === undefined ? null : parseModule(entry.schema, `${what}.schema`),
      functions: entry.functions.map((bundle: unknown, j) => parseModule(bundle, `${what}.functions[${j}]`)),
    };
  });
  if (new Set(components.map((component) => component.definitionPath)).size !== components.length) {
    throw new PushError("InvalidConfig", "A component definition was pushed twice");
  }
  if (!Array.isArray(app.changedModules) || !Array.isArray(app.unchangedModuleHashes)) {
    throw new PushError("InvalidConfig", "appDefinition needs changedModules and unchangedModuleHashes");
  }
  const unchanged = app.unchangedModuleHashes.map((entry: unknown, i): StoredModule => {
    if (!isRecord(entry) || typeof entry.path !== "string" || typeof entry.sha256 !== "string") {
      throw new PushError("InvalidConfig", `unchangedModuleHashes[${i}] must be {path, environment, sha256}`);
    }
    return { path: entry.path, sha256: entry.sha256, environment: entry.environment === "node" ? "node" : "isolate" };
  });
  return {
    dryRun: body.dryRun === true,
    components,
    functions: typeof body.functions === "string" ? body.functions : "convex/",
    definition:
      app.definition === null || app.definition === undefined ? null : parseModule(app.definition, "definition"),
    schema: app.schema === null || app.schema === undefined ? null : parseModule(app.schema, "schema"),
    changedModules: app.changedModules.map((bundle: unknown, i) => parseModule(bundle, `changedModules[${i}]`)),
    unchangedModuleHashes: unchanged,
    udfServerVersion: typeof app.udfServerVersion === "string" ? app.udfServerVersion : "1.0.0",
    nodeVersion: typeof body.nodeVersion === "string" ? body.nodeVersion : null,
  };
}

function indexConfigs(schema: DatabaseSchemaJson | null): Map<string, IndexConfig> {
  const configs = new Map<string, IndexConfig>();
  for (const table of schema?.tables ?? []) {
    const add = (name: string, config: { type: string; staged: boolean; [field: string]: unknown }) =>
      configs.set(`${table.tableName}.${name}`, { name: `${table.tableName}.${name}`, ...config });
    for (const index of table.indexes)
      add(index.indexDescriptor, { type: "database", fields: index.fields, staged: false });
    for (const index of table.stagedDbIndexes) {
      add(index.indexDescriptor, { type: "database", fields: index.fields, staged: true });
    }
    for (const [indexes, staged] of [
      [table.searchIndexes, false],
      [table.stagedSearchIndexes, true],
    ] as const) {
      for (const index of indexes) {
        add(index.indexDescriptor, {
          type: "search",
          searchField: index.searchField,
          filterFields: index.filterFields,
          staged,
        });
      }
    }
    for (const [indexes, staged] of [
      [table.vectorIndexes, false],
      [table.stagedVectorIndexes, true],
    ] as const) {
      for (const index of indexes) {
        add(index.indexDescriptor, {
          type: "vector",
          dimensions: index.dimensions,
          vectorField: index.vectorField,
          filterFields: index.filterFields,
          staged,
        });
      }
    }
  }
  return configs;
}

/** What changes between two schemas' indexes, as `schemaChange.indexDiffs` reports it. */
function diffIndexes(before: DatabaseSchemaJson | null, after: DatabaseSchemaJson | null): IndexDiff {
  const old = indexConfigs(before);
  const next = indexConfigs(after);
  const spec = ({ staged: _staged, ...rest }: IndexConfig) => JSON.stringify(rest);
  const diff: IndexDiff = { added_indexes: [], removed_indexes: [], enabled_indexes: [], disabled_indexes: [] };
  for (const [name, config] of next) {
    const previous = old.get(name);
    if (previous === undefined || spec(previous) !== spec(config)) diff.added_indexes.push(config);
    else if (previous.staged && !config.staged) diff.enabled_indexes.push(config);
    else if (!previous.staged && config.staged) diff.disabled_indexes.push(config);
  }
  for (const [name, config] of old) {
    const replacement = next.get(name);
    if (replacement === undefined || spec(replacement) !== spec(config)) diff.removed_indexes.push(config);
  }
  for (const list of Object.values(diff)) list.sort((a, b) => byCodePoint(a.name, b.name));
  return diff;
}

/**
 * The public functions as a tree of exports (a checked component's `exports`): the definition's
 * file-based exports, each leaf the function of this component instance.
 */
function exportTree(analysis: Record<string, AnalyzedModule>, componentPath = ""): Record<string, unknown> {
  const checked = (node: ExportsJson): unknown =>
    node.type === "leaf"
      ? {
          type: "leaf",
          resource: {
            type: "function",
            path: { component: componentPath, udfPath: node.leaf.slice("_reference/function/".length) },
          },
        }
      : { type: "branch", children: children(node.branch) };
  const children = (branch: [string, ExportsJson][]) =>
    Object.fromEntries(branch.map(([name, child]) => [name, checked(child)]));
  return children(fileBasedExports(analysis).branch);
}

function cronDiff(before: CronSpec[], after: CronSpec[]) {
  const old = new Map(before.map((cron) => [cron.identifier, JSON.stringify(cron.spec)]));
  const next = new Map(after.map((cron) => [cron.identifier, JSON.stringify(cron.spec)]));
  return {
    added: [...next.keys()].filter((id) => !old.has(id)),
    updated: [...next.keys()].filter((id) => old.has(id) && old.get(id) !== next.get(id)),
    deleted: [...old.keys()].filter((id) => !next.has(id)),
  };
}

/** Where a component definition's bundles go in a code directory. */
function componentDir(definitionPath: string): string {
  return `_components/${Buffer.from(definitionPath).toString("base64url")}`;
}

/** Component definitions, each after the definitions it uses (as a deployment evaluates them). */
function dependencyOrder(components: StoredComponent[]): StoredComponent[] {
  const byPath = new Map(components.map((component) => [component.definitionPath, component]));
  const ordered: StoredComponent[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (component: StoredComponent, chain: string[]) => {
    const seen = state.get(component.definitionPath);
    if (seen === "done") return;
    if (seen === "visiting") {
      throw new PushError(
        "ComponentCycle",
        `Components use each other in a cycle: ${[...chain, component.definitionPath].join(" -> ")}`,
      );
    }
    state.set(component.definitionPath, "visiting");
    for (const dependency of component.dependencies) {
      const used = byPath.get(dependency);
      if (used === undefined) {
        throw new PushError(
          "MissingComponentDefinition",
          `Component ${component.definitionPath} uses ${dependency}, which was not pushed`,
        );
      }
      visit(used, [...chain, component.definitionPath]);
    }
    state.set(component.definitionPath, "done");
    ordered.push(component);
  };
  for (const component of components) visit(component, []);
  return ordered;
}

/**
 * What `import child from "./_componentDeps/<base64url path>"` gives a definition being evaluated:
 * the child's path and default name, as a deployment's definition loader synthesizes it
 * (crates/isolate/src/environment/component_definitions.rs).
 */
function componentDepModule(definition: LoadedDefinition): string {
  const type = definition.metadata.definitionType;
  const name = type.type === "childComponent" ? type.name : "";
  return (
    `export default { export: () => (${JSON.stringify(definition.metadata)}), ` +
    `componentDefinitionPath: ${JSON.stringify(definition.definitionPath)}, defaultName: ${JSON.stringify(name)} };\n`
  );
}

/** Every component under the app, parents first, with its path (`parent/child`). */
function instantiate(app: DefinitionMetadata, definitions: ReadonlyMap<string, LoadedDefinition>): ComponentInstance[] {
  const instances: ComponentInstance[] = [];
  const visit = (definition: DefinitionMetadata, parentPath: string, depth: number) => {
    for (const child of definition.childComponents) {
      const componentPath = parentPath === "" ? child.name : `${parentPath}/${child.name}`;
      const used = definitions.get(child.path);
      if (used === undefined) {
        throw new PushError(
          "MissingComponentDefinition",
          `Component "${componentPath}" uses the definition ${child.path}, which was not pushed`,
        );
      }
      if (depth > 16) throw new PushError("ComponentTooDeep", `Components are nested too deeply at "${componentPath}"`);
      instances.push({ componentPath, definitionPath: child.path });
      visit(used.metadata, componentPath, depth + 1);
    }
  };
  visit(app, "", 1);
  return instances;
}

/** What the engine runs of each component instance: its definition's modules and schema. */
function componentCode(instances: ComponentInstance[], definitions: ReadonlyMap<string, LoadedDefinition>) {
  return instances.map(({ componentPath, definitionPath }) => ({
    path: componentPath,
    modules: definitions.get(definitionPath)!.modules,
    schema: definitions.get(definitionPath)!.schemaObject,
  }));
}

/** Every bundle of a manifest's component definitions. */
function componentModules(manifest: CodeManifest): StoredModule[] {
  return (manifest.components ?? []).flatMap((component) => [
    component.definition,
    ...(component.schema === null ? [] : [component.schema]),
    ...component.modules,
  ]);
}

/** The checked component tree a push answers (`CheckedComponent` of the CLI's deployApi). */
function checkedComponent(loaded: LoadedCode, definitionPath: string, componentPath: string): Record<string, unknown> {
  const definition = definitionPath === "" ? null : loaded.definitions.get(definitionPath)!;
  const metadata = definition?.metadata ?? loaded.definition;
  const functions = definition?.analysis ?? loaded.analysis;
  const routes = functions["http.js"]?.httpRoutes ?? null;
  const childComponents: Record<string, unknown> = {};
  for (const child of metadata.childComponents) {
    childComponents[child.name] = checkedComponent(
      loaded,
      child.path,
      componentPath === "" ? child.name : `${componentPath}/${child.name}`,
    );
  }
  return {
    definitionPath,
    componentPath,
    httpPrefix: null,
    args: {},
    env: {},
    childComponents,
    httpRoutes: {
      httpModuleRoutes: routes === null ? null : routes.map((route: HttpRoute) => route.route),
      mounts: Object.keys(metadata.httpMounts),
    },
    exports: exportTree(functions, componentPath),
  };
}

const cronsOf = (analysis: Record<string, AnalyzedModule> | undefined) => analysis?.["crons.js"]?.cronSpecs ?? [];

export class Deployment {
  private loaded: LoadedCode | null = null;
  private readonly pending = new Map<string, PendingPush>();
  private latestSchemaId: string | null = null;
  private lastTimings: PushTimings | null = null;
  private authEvaluations = 0;
  /** Serializes pushes and variable changes, as a deployment's transactions do. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: DeploymentDeps) {}

  /** The live code's analysis, or null before the first push. */
  get active(): ActiveCode | null {
    return this.deps.store.active;
  }

  /** The app's schema as the live code enforces it (what imported documents are checked against), or null. */
  get schema(): DatabaseSchemaJson | null {
    return this.loaded?.schema ?? null;
  }

  get timings(): PushTimings | null {
    return this.lastTimings;
  }

  /** The deployment's own variables (what `npx convex env list` shows). */
  environmentVariables(): Record<string, string> {
    return this.deps.scope.variables();
  }

  /** How many modules the live code has (for the banner). */
  get moduleCount(): number {
    return Object.keys(this.loaded?.analysis ?? {}).length;
  }

  /**
   * Loads a functions directory from disk as the live code (the server's `convexDir` option, for
   * projects that do not push): its modules are imported through the Node loader as they are (tsx
   * for TypeScript), and analyzed like a push's. A function module that throws while loading does
   * not stop the others: calls to its functions fail with its error.
   */
  async loadDirectory(dir: string, modules: Modules): Promise<EngineCode> {
    const maps = new SourceMaps(path.join(dir, ".unmapped"));
    const analysis: Record<string, AnalyzedModule> = {};
    const engineModules: Modules = {};
    let schema: DatabaseSchemaJson | null = null;
    let schemaObject: SchemaLike | null = null;
    const { definition, definitions, instances } = await this.loadDirectoryComponents(dir, maps);
    // A component's folder inside the functions directory holds its modules, not the app's.
    const componentFolders = [...definitions.keys()]
      .filter((definitionPath) => !definitionPath.startsWith("../"))
      .map((definitionPath) => `${definitionPath}/`);
    for (const [key, load] of Object.entries(modules)) {
      const modulePath = key.replace(/^\.\//, "").replace(/\.[^./]+$/, ".js");
      if (modulePath.startsWith("_generated/")) continue;
      if (componentFolders.some((folder) => modulePath.startsWith(folder))) continue;
      let namespace: Record<string, unknown>;
      try {
        namespace = (await this.deps.scope.run(load)) as Record<string, unknown>;
      } catch (error) {
        if (modulePath === "schema.js" || modulePath === AUTH_CONFIG || modulePath === "convex.config.js") {
          throw new PushError("InvalidModules", `Failed to analyze ${modulePath}: ${describeJsError(error)}`);
        }
        // No push refuses it here: its functions answer with the error, as a deployment's do
        // when a module stops loading, and the other modules serve.
        this.deps.log(`local Convex server: ${modulePath} threw while loading: ${describeJsError(error)}`);
        analysis[modulePath] = { functions: [], httpRoutes: null, cronSpecs: null, sourceMapped: null };
        engineModules[`./${modulePath}`] = () => Promise.reject(error as Error);
        continue;
      }
      if (modulePath === "schema.js") {
        const exported = namespace.default as (SchemaLike & { export?: () => string }) | undefined;
        if (typeof exported?.export === "function") {
          schema = parseSchema(exported.export());
          schemaObject = exported;
        }
        continue;
      }
      if (modulePath === AUTH_CONFIG || modulePath === "convex.config.js") continue;
      analysis[modulePath] = analyzeModule(modulePath, namespace, maps);
      engineModules[`./${modulePath}`] = () => Promise.resolve(namespace);
    }
    this.loaded = {
      version: "directory",
      maps,
      engineCode: {
        modules: engineModules,
        schema: schemaObject,
        components: componentCode(instances, definitions),
      },
      analysis: Object.fromEntries(Object.entries(analysis).sort(([a], [b]) => byCodePoint(a, b))),
      schema,
      definition,
      authInfo: [],
      hasAuthConfig: false,
      definitions,
      instances,
    };
    return this.loaded.engineCode;
  }

  /**
   * The components a functions directory's `convex.config` uses (none without one), imported from
   * disk and analyzed like a push's: each definition's modules and schema, and every instance.
   */
  private async loadDirectoryComponents(
    dir: string,
    maps: SourceMaps,
  ): Promise<{
    definition: DefinitionMetadata;
    definitions: Map<string, LoadedDefinition>;
    instances: ComponentInstance[];
  }> {
    const load = async (file: string, label: string) => {
      try {
        return (await this.deps.scope.run(() => import(pathToFileURL(file).href))) as Record<string, unknown>;
      } catch (error) {
        throw new PushError("InvalidModules", `Failed to analyze ${label}: ${describeJsError(error)}`);
      }
    };
    let found;
    try {
      found = await loadDirectoryDefinitions(dir, (file) => load(file, path.relative(dir, file)));
    } catch (error) {
      if (error instanceof PushError) throw error;
      throw new PushError("InvalidModules", `Failed to analyze convex.config.ts: ${describeJsError(error)}`);
    }
    const definitions = new Map<string, LoadedDefinition>();
    if (found === null) {
      const definition: DefinitionMetadata = {
        path: "",
        definitionType: { type: "app" },
        childComponents: [],
        httpMounts: {},
        httpPrefix: null,
        exports: { type: "branch", branch: [] },
      };
      return { definition, definitions, instances: [] };
    }
    for (const component of found.components) {
      const label = (modulePath: string) => `${component.definitionPath}/${modulePath}`;
      let schema: DatabaseSchemaJson | null = null;
      let schemaObject: SchemaLike | null = null;
      if (component.schemaPath !== null) {
        const namespace = await load(path.join(component.dir, component.schemaPath), label(component.schemaPath));
        const exported = namespace.default as (SchemaLike & { export?: () => string }) | undefined;
        if (typeof exported?.export !== "function") {
          throw new PushError(
            "InvalidSchema",
            `The default export of ${label("schema.ts")} must be \`defineSchema(...)\`.`,
          );
        }
        schema = parseSchema(this.deps.scope.run(() => exported.export!()));
        schemaObject = exported;
      }
      const analysis: Record<string, AnalyzedModule> = {};
      const modules: Modules = {};
      for (const file of component.modulePaths) {
        const relative = file.replace(/\.[^./]+$/, ".js");
        const namespace = await load(path.join(component.dir, file), label(file));
        analysis[relative] = analyzeModule(relative, namespace, maps);
        modules[`./${relative}`] = () => Promise.resolve(namespace);
      }
      definitions.set(component.definitionPath, {
        definitionPath: component.definitionPath,
        metadata: parseDefinition(component.definition, component.definitionPath),
        analysis: Object.fromEntries(Object.entries(analysis).sort(([a], [b]) => byCodePoint(a, b))),
        schema,
        schemaObject,
        modules,
        // Loaded from disk, never taken over by a push.
        hash: "",
        origin: "directory",
        originMaps: maps,
      });
    }
    const definition = parseDefinition(found.app, "");
    return { definition, definitions, instances: instantiate(definition, definitions) };
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Loads the last pushed code at start. When it no longer loads (a module now throws), the
   * deployment starts with no functions and says why.
   */
  async loadStored(): Promise<EngineCode | null> {
    const active = this.deps.store.active;
    if (active === null) return null;
    try {
      const manifest = this.deps.store.manifest(active.version);
      const modules = [...manifest.modules, manifest.schema, manifest.definition, ...componentModules(manifest)]
        .filter((bundle): bundle is StoredModule => bundle !== null)
        .map((bundle) => this.deps.store.readModule(active.version, bundle));
      this.loaded = await this.load(active.version, manifest, modules, this.deps.scope.variables());
      this.deps.verifier.setProviders(providersFromAuthInfo(this.loaded.authInfo));
      this.latestSchemaId = active.schemaId;
      this.deps.store.prune([active.version]);
      return this.loaded.engineCode;
    } catch (error) {
      this.deps.log(
        `local Convex server: the pushed code (version ${active.version}) did not load, starting without functions: ${(error as Error).message}`,
      );
      return null;
    }
  }

  /**
   * Imports a version's modules in the deployment's environment and analyzes them as a push's
   * `start_push` does. Throws PushError with the deployment's code and message.
   */
  private async load(
    version: string,
    manifest: CodeManifest,
    modules: ModuleConfig[],
    variables: Record<string, string>,
    /**
     * Definitions of the live code a push may take over as they are when its bundles are identical
     * (and so are those of every definition it uses): importing Convex's components again on every
     * push was most of a warm push's time. Not for a reload, whose point is to run module code again.
     */
    reusable?: ReadonlyMap<string, LoadedDefinition>,
  ): Promise<LoadedCode> {
    const dir = this.deps.store.dir(version);
    const maps = new SourceMaps(dir);
    for (const bundle of modules) maps.add(bundle.path, bundle.source, bundle.sourceMap);
    try {
      let definition: DefinitionMetadata = {
        path: "",
        definitionType: { type: "app" },
        childComponents: [],
        httpMounts: {},
        httpPrefix: null,
        exports: { type: "branch", branch: [] },
      };
      // Components first, each after those it uses: a definition imports its children's.
      const definitions = new Map<string, LoadedDefinition>();
      for (const component of dependencyOrder(manifest.components ?? [])) {
        const previous = reusable?.get(component.definitionPath);
        const hash = definitionHash(component);
        if (
          previous !== undefined &&
          previous.hash === hash &&
          component.dependencies.every((dependency) => definitions.get(dependency)?.origin !== version)
        ) {
          definitions.set(component.definitionPath, previous);
          continue;
        }
        this.writeComponentDeps(dir, component.dir, definitions);
        definitions.set(component.definitionPath, {
          ...(await this.loadComponentDefinition(dir, component, maps)),
          hash,
          origin: version,
          originMaps: maps,
        });
      }
      if (manifest.definition !== null) {
        this.writeComponentDeps(dir, "", definitions);
        const namespace = await this.importModule(dir, manifest.definition.path, "convex.config.js");
        definition = parseDefinition(namespace.default, "");
      }
      const instances = instantiate(definition, definitions);
      const { schema, schemaObject } =
        manifest.schema === null
          ? { schema: null, schemaObject: null }
          : await this.evaluateSchemaModule(dir, manifest.schema.path, "schema.ts");
      const hasAuthConfig = manifest.modules.some((bundle) => bundle.path === AUTH_CONFIG);
      const authInfo = hasAuthConfig ? await this.evaluateAuthConfig(dir, variables, "") : [];
      const analysis: Record<string, AnalyzedModule> = {};
      const engineModules: Modules = {};
      for (const bundle of manifest.modules) {
        if (bundle.path.startsWith("_deps/") || bundle.path === AUTH_CONFIG) continue;
        const namespace = await this.importModule(dir, bundle.path, bundle.path);
        analysis[bundle.path] = analyzeModule(bundle.path, namespace, maps);
        engineModules[`./${bundle.path}`] = () => Promise.resolve(namespace);
      }
      // A deployment reports the auth config as a module with nothing in it.
      if (hasAuthConfig)
        analysis[AUTH_CONFIG] = { functions: [], httpRoutes: null, cronSpecs: null, sourceMapped: null };
      const sortedAnalysis = Object.fromEntries(Object.entries(analysis).sort(([a], [b]) => byCodePoint(a, b)));
      return {
        version,
        maps,
        engineCode: {
          modules: engineModules,
          schema: schemaObject,
          components: componentCode(instances, definitions),
          nodeModules: manifest.modules.filter((bundle) => bundle.environment === "node").map((bundle) => bundle.path),
        },
        analysis: sortedAnalysis,
        schema,
        definition,
        authInfo,
        hasAuthConfig,
        definitions,
        instances,
      };
    } catch (error) {
      maps.dispose();
      throw error;
    }
  }

  /** Evaluates a `schema.js` bundle (`where`: the file named in errors). */
  private async evaluateSchemaModule(
    dir: string,
    modulePath: string,
    where: string,
  ): Promise<{ schema: DatabaseSchemaJson; schemaObject: SchemaLike }> {
    const namespace = await this.importModule(dir, modulePath, where.replace(/\.ts$/, ".js"));
    const exported = namespace.default as (SchemaLike & { export?: () => string }) | undefined;
    if (typeof exported?.export !== "function") {
      throw new PushError(
        "InvalidSchema",
        `Hit an error while evaluating your schema:\nThe default export of ${where} must be \`defineSchema(...)\`.`,
      );
    }
    try {
      return { schema: parseSchema(this.deps.scope.run(() => exported.export!())), schemaObject: exported };
    } catch (error) {
      if (error instanceof PushError) {
        throw new PushError(error.code, `Hit an error while evaluating your schema:\n${error.message}`);
      }
      throw new PushError("InvalidSchema", `Hit an error while evaluating your schema:\n${describeJsError(error)}`);
    }
  }

  /** Writes, beside a definition, the modules its `_componentDeps/…` imports resolve to. */
  private writeComponentDeps(dir: string, definitionDir: string, definitions: ReadonlyMap<string, LoadedDefinition>) {
    if (definitions.size === 0) return;
    const depsDir = path.join(dir, definitionDir, "_componentDeps");
    mkdirSync(depsDir, { recursive: true, mode: 0o700 });
    for (const definition of definitions.values()) {
      // Extensionless, as the bundle imports it; the code directory's package.json makes it a module.
      const file = path.join(depsDir, Buffer.from(definition.definitionPath).toString("base64url"));
      writeFileSync(file, componentDepModule(definition), { mode: 0o600 });
    }
  }

  /** Imports and analyzes one component definition's bundles (its definition, schema and functions). */
  private async loadComponentDefinition(
    dir: string,
    component: StoredComponent,
    maps: SourceMaps,
  ): Promise<Omit<LoadedDefinition, "hash" | "origin" | "originMaps">> {
    const prefix = `${component.dir}/`;
    const label = (modulePath: string) => `${component.definitionPath}/${modulePath}`;
    const namespace = await this.importModule(dir, component.definition.path, label("convex.config.js"));
    const metadata = parseDefinition(namespace.default, component.definitionPath);
    const { schema, schemaObject } =
      component.schema === null
        ? { schema: null, schemaObject: null }
        : await this.evaluateSchemaModule(dir, component.schema.path, label("schema.ts"));
    const analysis: Record<string, AnalyzedModule> = {};
    const modules: Modules = {};
    for (const bundle of component.modules) {
      const relative = bundle.path.slice(prefix.length);
      if (relative.startsWith("_deps/")) continue;
      const moduleNamespace = await this.importModule(dir, bundle.path, label(relative));
      analysis[relative] = analyzeModule(relative, moduleNamespace, maps, prefix);
      modules[`./${relative}`] = () => Promise.resolve(moduleNamespace);
    }
    return {
      definitionPath: component.definitionPath,
      metadata,
      analysis: Object.fromEntries(Object.entries(analysis).sort(([a], [b]) => byCodePoint(a, b))),
      schema,
      schemaObject,
      modules,
    };
  }

  private async importModule(dir: string, modulePath: string, label: string): Promise<Record<string, unknown>> {
    try {
      return (await this.deps.scope.run(() => import(moduleUrl(dir, modulePath)))) as Record<string, unknown>;
    } catch (error) {
      throw new PushError(
        "InvalidModules",
        `Loading the pushed modules encountered the following\n    error:\nFailed to analyze ${label}: ${describeJsError(error)}`,
      );
    }
  }

  /** Evaluates `auth.config.js` with `variables`, where reading an unset one fails as on a deployment. */
  private async evaluateAuthConfig(
    dir: string,
    variables: Record<string, string>,
    explanation: string,
  ): Promise<AuthInfo[]> {
    let missing: PushError | null = null;
    this.authEvaluations += 1;
    const url = moduleUrl(dir, AUTH_CONFIG, `?evaluation=${this.authEvaluations}`);
    let namespace: Record<string, unknown>;
    try {
      namespace = (await this.deps.scope.runStrict(
        variables,
        (name) =>
          (missing = new PushError(
            "AuthConfigMissingEnvironmentVariable",
            `Environment variable ${name} is used in auth config file but its value was not set`,
          )),
        () => import(url),
      )) as Record<string, unknown>;
    } catch (error) {
      if (missing !== null) throw missing;
      const description = describeJsError(error);
      throw new PushError("InvalidAuthConfig", `${explanation || "The pushed auth config is invalid"}: ${description}`);
    }
    try {
      return parseAuthConfig(namespace.default);
    } catch (error) {
      if (error instanceof PushError && explanation !== "") {
        throw new PushError(error.code, error.message.replace("The pushed auth config is invalid", explanation));
      }
      throw error;
    }
  }

  /** `POST /api/deploy2/start_push` (and `evaluate_push` with `evaluateOnly`). */
  async startPush(body: unknown, options: { evaluateOnly?: boolean } = {}): Promise<Record<string, unknown>> {
    return await this.serialized(async () => {
      const receivedAt = performance.now();
      const request = parseStartPush(body);
      const { store } = this.deps;
      const active = store.active;
      const previousManifest = active === null ? null : store.manifest(active.version);
      const previousModules = previousManifest?.modules ?? [];
      const previousHashes = new Map(
        [...previousModules, ...(previousManifest === null ? [] : componentModules(previousManifest))].map((bundle) => [
          bundle.path,
          bundle.sha256,
        ]),
      );
      // Unchanged modules come from the live code, as a deployment takes them from its storage.
      const unchanged = request.unchangedModuleHashes.map((bundle): ModuleConfig => {
        const stored = previousModules.find((candidate) => candidate.path === bundle.path);
        if (active === null || stored === undefined) {
          throw new PushError("MissingExistingModule", "Could not find existing unchanged module.", 409);
        }
        if (stored.sha256 !== bundle.sha256) {
          throw new PushError("ExistingModuleHashConflict", "Existing module hash does not match.", 409);
        }
        if (stored.environment !== bundle.environment) {
          throw new PushError("ExistingModuleEnvConflict", "Existing module environment does not match.", 409);
        }
        return store.readModule(active.version, stored);
      });
      const runtime = [...request.changedModules, ...unchanged];
      const paths = new Set<string>();
      for (const bundle of runtime) {
        if (paths.has(bundle.path)) throw new PushError("InvalidConfig", `Module ${bundle.path} was pushed twice`);
        paths.add(bundle.path);
      }
      const toStored = (bundle: ModuleConfig): StoredModule => ({
        path: bundle.path,
        sha256: moduleHash(bundle),
        environment: bundle.environment,
      });
      const schemaModule = request.schema === null ? null : { ...request.schema, path: "schema.js" };
      const definitionModule = request.definition === null ? null : { ...request.definition, path: "convex.config.js" };
      if (paths.has("schema.js") || paths.has("convex.config.js")) {
        throw new PushError("InvalidConfig", "schema.js and convex.config.js are not runtime modules");
      }
      // Each component definition in a directory of its own, sent whole on every push.
      const componentBundles: ModuleConfig[] = [];
      const components = request.components.map((component): StoredComponent => {
        const dir = componentDir(component.definitionPath);
        const place = (bundle: ModuleConfig, as = bundle.path): StoredModule => {
          const placed = { ...bundle, path: `${dir}/${as}` };
          componentBundles.push(placed);
          return toStored(placed);
        };
        const names = new Set(component.functions.map((bundle) => bundle.path));
        if (names.size !== component.functions.length) {
          throw new PushError("InvalidConfig", `A module of component ${component.definitionPath} was pushed twice`);
        }
        if (
          names.has("schema.js") ||
          names.has("convex.config.js") ||
          [...names].some((name) => name.startsWith("_componentDeps/"))
        ) {
          throw new PushError(
            "InvalidConfig",
            `schema.js and convex.config.js of ${component.definitionPath} are not runtime modules`,
          );
        }
        return {
          definitionPath: component.definitionPath,
          dir,
          dependencies: component.dependencies,
          definition: place(component.definition, "convex.config.js"),
          schema: component.schema === null ? null : place(component.schema, "schema.js"),
          modules: component.functions.map((bundle) => place(bundle)).sort((a, b) => byCodePoint(a.path, b.path)),
        };
      });
      if ([...paths].some((p) => p.startsWith("_components/") || p.startsWith("_componentDeps/"))) {
        throw new PushError("InvalidConfig", "_components/ and _componentDeps/ are reserved module paths");
      }
      const manifest: CodeManifest = {
        modules: runtime.map(toStored).sort((a, b) => byCodePoint(a.path, b.path)),
        schema: schemaModule === null ? null : toStored(schemaModule),
        definition: definitionModule === null ? null : toStored(definitionModule),
        components,
      };
      const version = store.createVersion();
      let loaded: LoadedCode;
      try {
        const all = [
          ...runtime,
          ...(schemaModule === null ? [] : [schemaModule]),
          ...(definitionModule === null ? [] : [definitionModule]),
          ...componentBundles,
        ];
        store.writeModules(
          version,
          all,
          active === null ? undefined : { version: active.version, hashes: previousHashes },
        );
        store.writeManifest(version, manifest);
        loaded = await this.load(version, manifest, all, this.deps.scope.variables(), this.loaded?.definitions);
      } catch (error) {
        store.remove(version);
        throw error;
      }

      const schemaUnchanged =
        loaded.schema !== null && JSON.stringify(loaded.schema) === JSON.stringify(active?.schema ?? null);
      const schemaId = loaded.schema === null ? null : schemaUnchanged ? (active?.schemaId ?? newId()) : newId();
      const indexDiff = diffIndexes(active?.schema ?? null, loaded.schema);
      const schemaStatus = await this.checkData(loaded, active?.schema ?? null);
      const seed = randomBytes(32).toString("base64");
      const timestampNs = (BigInt(Date.now()) * 1_000_000n).toString();
      const next: ActiveCode = {
        version,
        functions: request.functions,
        udfServerVersion: request.udfServerVersion,
        udfConfig: { seed, timestampNs },
        nodeVersion: request.nodeVersion,
        schemaId,
        analysis: loaded.analysis,
        schema: loaded.schema,
        definition: loaded.definition,
        authInfo: loaded.authInfo,
      };
      const id = `push-${version}`;
      const environmentVariables = this.deps.scope.variables();
      const keep = !request.dryRun && options.evaluateOnly !== true;
      if (keep) {
        this.pending.set(id, {
          id,
          loaded,
          active: next,
          modules: manifest.modules,
          schemaStatus,
          indexDiff,
          environmentVariables,
          dryRun: request.dryRun,
          receivedAt,
        });
        this.latestSchemaId = schemaId;
        this.dropOldPending();
      } else {
        loaded.maps.dispose();
        store.remove(version);
      }
      const schemaChange = {
        allocatedComponentIds: {},
        schemaIds: { "": schemaId },
        indexDiffs: { "": indexDiff },
      };
      if (options.evaluateOnly === true) return { schemaChange };
      const timings = { startPush: performance.now() - receivedAt };
      this.lastStart = { id, startPush: timings.startPush, receivedAt };
      const udfConfig = {
        serverVersion: request.udfServerVersion,
        importPhaseRngSeed: { $bytes: seed },
        importPhaseUnixTimestamp: int64Json(BigInt(timestampNs)),
      };
      const packageOf = (definitionPath: string, bundles: unknown) => ({
        // The root's storage key names the push; finish_push finds it by that.
        storageKey: definitionPath === "" ? id : `${id}:${definitionPath}`,
        sha256: moduleHash({ source: JSON.stringify(bundles) }),
        externalDepsPackageId: null,
        packageSize: { zippedSizeBytes: 0, unzippedSizeBytes: 0 },
        nodeVersion: request.nodeVersion,
      });
      const analysis: Record<string, unknown> = {
        "": { definition: loaded.definition, schema: loaded.schema, functions: loaded.analysis, udfConfig },
      };
      const packages: Record<string, unknown> = { "": packageOf("", manifest) };
      for (const [definitionPath, definition] of loaded.definitions) {
        // A component's exports are its public functions (the app's are not reported).
        analysis[definitionPath] = {
          definition: { ...definition.metadata, exports: fileBasedExports(definition.analysis) },
          schema: definition.schema,
          functions: definition.analysis,
          udfConfig,
        };
        packages[definitionPath] = packageOf(
          definitionPath,
          manifest.components?.find((component) => component.definitionPath === definitionPath),
        );
      }
      return {
        environmentVariables,
        externalDepsId: null,
        componentDefinitionPackages: packages,
        appAuth: loaded.authInfo,
        analysis,
        app: checkedComponent(loaded, "", ""),
        schemaChange,
      };
    });
  }

  private lastStart: { id: string; startPush: number; receivedAt: number } | null = null;

  private dropOldPending(): void {
    while (this.pending.size > MAX_PENDING_PUSHES) {
      const [oldest] = this.pending.values();
      if (oldest === undefined) return;
      this.pending.delete(oldest.id);
      oldest.loaded.maps.dispose();
      this.deps.store.remove(oldest.active.version);
    }
  }

  /**
   * Checks every stored document of the schema's tables against it, as a deployment's schema
   * validation does before a schema becomes active. Tables whose validator an enforced schema
   * already held are not walked again.
   */
  private async checkData(loaded: LoadedCode, enforced: DatabaseSchemaJson | null): Promise<SchemaStatus> {
    const failure = await this.deps.engine.transaction(() => this.findAnyViolation(loaded, enforced));
    return failure ?? { type: "complete" };
  }

  /** The first stored document, of the app or of a component, that `loaded`'s schemas refuse. */
  private findAnyViolation(
    loaded: LoadedCode,
    enforced: DatabaseSchemaJson | null,
  ): Extract<SchemaStatus, { type: "failed" }> | null {
    if (loaded.schema !== null) {
      const violation = this.findViolation(loaded.schema, enforced);
      if (violation !== null) return violation;
    }
    for (const { componentPath, definitionPath } of loaded.instances) {
      const schema = loaded.definitions.get(definitionPath)?.schema ?? null;
      if (schema === null) continue;
      // What the live code enforces on this instance's tables, if it has it.
      const live = this.loaded?.instances.find((instance) => instance.componentPath === componentPath);
      const before = live === undefined ? null : (this.loaded?.definitions.get(live.definitionPath)?.schema ?? null);
      const violation = this.findViolation(schema, before, componentPath);
      if (violation !== null) return violation;
    }
    return null;
  }

  /**
   * Checks every stored document of the schema's tables against it, as a deployment's schema
   * validation does before a schema becomes active. Tables whose validator an enforced schema
   * already held are not walked again.
   */
  private findViolation(
    schema: DatabaseSchemaJson,
    enforced: DatabaseSchemaJson | null,
    componentPath = "",
  ): Extract<SchemaStatus, { type: "failed" }> | null {
    if (!schema.schemaValidation) return null;
    for (const table of schema.tables) {
      if (table.documentType === null || table.documentType.type === "any") continue;
      const before =
        enforced?.schemaValidation === true ? enforced.tables.find((t) => t.tableName === table.tableName) : undefined;
      if (before !== undefined && JSON.stringify(before.documentType) === JSON.stringify(table.documentType)) continue;
      const stored = componentPath === "" ? table.tableName : `${componentPath}/${table.tableName}`;
      for (const document of this.deps.engine.internals.committedDocuments(stored)) {
        const { _id, _creationTime, ...fields } = document;
        void _creationTime;
        try {
          checkValue(table.documentType, fields as Record<string, Value>);
        } catch (error) {
          if (!(error instanceof ValidationFailure)) throw error;
          return {
            type: "failed",
            error: `Document with ID "${String(_id)}" in table "${table.tableName}" does not match the schema: ${error.message}`,
            componentPath,
            tableName: table.tableName,
          };
        }
      }
    }
    return null;
  }

  /** `POST /api/deploy2/wait_for_schema`. */
  async waitForSchema(body: unknown): Promise<SchemaStatus> {
    const schemaIds = isRecord(body) && isRecord(body.schemaChange) ? body.schemaChange.schemaIds : undefined;
    const schemaId = isRecord(schemaIds) ? schemaIds[""] : undefined;
    if (schemaId === null || schemaId === undefined) return { type: "complete" };
    if (typeof schemaId !== "string") throw new PushError("InvalidSchemaId", "Invalid schema id");
    const push = [...this.pending.values()].find((candidate) => candidate.active.schemaId === schemaId);
    if (push !== undefined) {
      // Another push's schema replaced this one while it waited.
      if (this.latestSchemaId !== schemaId) return { type: "raceDetected" };
      return push.schemaStatus;
    }
    if (this.active?.schemaId === schemaId) return { type: "complete" };
    return { type: "raceDetected" };
  }

  /** `POST /api/deploy2/finish_push`: makes a started push live. */
  async finishPush(body: unknown): Promise<Record<string, unknown>> {
    const startPush = isRecord(body) && isRecord(body.startPush) ? body.startPush : null;
    if (startPush === null) throw new PushError("InvalidConfig", "finish_push needs the start_push response");
    const empty = { authDiff: { added: [], removed: [] }, definitionDiffs: {}, componentDiffs: {} };
    if (isRecord(body) && body.dryRun === true) return empty;
    return await this.serialized(async () => {
      const began = performance.now();
      const packages = isRecord(startPush.componentDefinitionPackages) ? startPush.componentDefinitionPackages : {};
      const root = packages[""];
      const id = isRecord(root) && typeof root.storageKey === "string" ? root.storageKey : "";
      const push = this.pending.get(id);
      if (push === undefined) {
        throw new PushError(
          "PushNotFound",
          "This push is unknown to the local Convex server (it restarted, or a newer push replaced it): push again.",
        );
      }
      const environmentVariables = this.deps.scope.variables();
      if (JSON.stringify(environmentVariables) !== JSON.stringify(push.environmentVariables)) {
        throw new PushError("RaceDetected", "Environment variables have changed during push");
      }
      const missing = requiredEnvVars(push.loaded.definition).filter((name) => !(name in environmentVariables));
      if (missing.length > 0) {
        throw new PushError(
          "MissingEnvironmentVariables",
          `Required environment variables are not set: ${missing.join(", ")}. Set them in the Convex dashboard or CLI before pushing.`,
        );
      }
      if (push.schemaStatus.type === "failed") {
        throw new PushError("SchemaValidationFailed", `Schema validation failed: ${push.schemaStatus.error}`);
      }
      const previous = this.active;
      const previousLoaded = this.loaded;
      const { engine, store } = this.deps;
      await engine.replaceCode(push.loaded.engineCode, {
        sourceDir: store.codeRoot,
        // Documents written since start_push are checked too, in the swap's transaction.
        check: () => {
          const violation = this.findAnyViolation(push.loaded, previous?.schema ?? null);
          if (violation !== null)
            throw new PushError("SchemaValidationFailed", `Schema validation failed: ${violation.error}`);
        },
      });
      this.loaded = push.loaded;
      this.pending.delete(id);
      this.deps.verifier.setProviders(providersFromAuthInfo(push.active.authInfo));
      store.setActive(push.active);
      // Older code is no longer needed: pending pushes keep theirs.
      this.retire(previousLoaded, push.loaded);
      await this.deps.scheduler.startCrons();
      this.deps.refreshAll();

      const authKey = (info: AuthInfo) => JSON.stringify(info);
      const before = new Set((previous?.authInfo ?? []).map(authKey));
      const after = new Set(push.active.authInfo.map(authKey));
      const previousPaths = new Set(previous === null ? [] : Object.keys(previous.analysis));
      const nextPaths = new Set(Object.keys(push.active.analysis));
      const finished = performance.now();
      this.lastTimings = {
        startPush: this.lastStart?.id === id ? this.lastStart.startPush : NaN,
        finishPush: finished - began,
        total: finished - push.receivedAt,
      };
      const schemaChanged = (previous?.schemaId ?? null) !== push.active.schemaId;
      return {
        authDiff: {
          added: [...after].filter((a) => !before.has(a)),
          removed: [...before].filter((a) => !after.has(a)),
        },
        definitionDiffs: { "": {} },
        componentDiffs: {
          "": {
            diffType: { type: previous === null ? "create" : "modify" },
            moduleDiff: {
              added: [...nextPaths].filter((p) => !previousPaths.has(p)),
              removed: [...previousPaths].filter((p) => !nextPaths.has(p)),
            },
            udfConfigDiff:
              previous !== null && previous.udfServerVersion === push.active.udfServerVersion
                ? null
                : { previous_version: previous?.udfServerVersion ?? "", next_version: push.active.udfServerVersion },
            cronDiff: cronDiff(cronsOf(previous?.analysis), cronsOf(push.active.analysis)),
            indexDiff: push.indexDiff,
            schemaDiff: schemaChanged
              ? { previous_schema: previous?.schemaId ?? null, next_schema: push.active.schemaId }
              : null,
          },
        },
      };
    });
  }

  /** `POST /api/deploy2/evaluate_schema`: what a push's schema would do to the stored data. */
  async evaluateSchema(body: unknown): Promise<Record<string, unknown>> {
    const request = parseStartPush(body);
    const active = this.active;
    if (request.schema === null) return { componentSchemaEvaluations: {}, newComponentDefinitions: [] };
    // Evaluated in a code directory of its own, thrown away afterwards.
    const { store } = this.deps;
    const version = store.createVersion();
    let schema: DatabaseSchemaJson | null;
    try {
      const bundle = { ...request.schema, path: "schema.js" };
      store.writeModules(version, [bundle]);
      const manifest: CodeManifest = {
        modules: [],
        schema: { path: "schema.js", sha256: "", environment: "isolate" },
        definition: null,
      };
      const loaded = await this.load(version, manifest, [bundle], this.deps.scope.variables());
      loaded.maps.dispose();
      schema = loaded.schema;
    } finally {
      store.remove(version);
    }
    const enforced = active?.schema ?? null;
    const diff = diffIndexes(enforced, schema);
    const counts = (table: string) => this.deps.engine.internals.committedDocuments(table);
    const tables = (schema?.tables ?? []).map((table) => {
      const documents = counts(table.tableName);
      const before = enforced?.tables.find((t) => t.tableName === table.tableName);
      const same =
        enforced?.schemaValidation === true &&
        before !== undefined &&
        JSON.stringify(before.documentType) === JSON.stringify(table.documentType);
      return {
        name: table.tableName,
        outcome:
          !schema!.schemaValidation || table.documentType === null
            ? "notValidated"
            : same
              ? "supersetOfEnforced"
              : "mustWalk",
        numDocs: documents.length,
        sizeBytes: documents.reduce(
          (sum, doc) =>
            sum + JSON.stringify(doc, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)).length,
          0,
        ),
      };
    });
    const change = new Map<string, string>();
    for (const index of diff.added_indexes) change.set(index.name, "added");
    for (const index of diff.enabled_indexes) change.set(index.name, "enabled");
    for (const index of diff.disabled_indexes) change.set(index.name, "disabled");
    const indexes = [...indexConfigs(schema).values()].map((index) => {
      const kind = change.get(index.name) ?? "identical";
      const numDocs = counts(index.name.split(".")[0]!).length;
      return { ...index, change: kind, needsBackfill: kind === "added" || kind === "enabled", numDocs };
    });
    for (const index of diff.removed_indexes) {
      if (!indexes.some((candidate) => candidate.name === index.name)) {
        indexes.push({
          ...index,
          change: "dropped",
          needsBackfill: false,
          numDocs: counts(index.name.split(".")[0]!).length,
        });
      }
    }
    return {
      componentSchemaEvaluations: {
        "": {
          definitionPath: "",
          schemaValidation: schema?.schemaValidation ?? false,
          tables,
          indexes,
          discardedStagedValidators: [],
        },
      },
      newComponentDefinitions: [],
    };
  }

  /** `POST /api/get_config_hashes`. */
  configHashes(): Record<string, unknown> {
    const active = this.active;
    const modules = active === null ? [] : this.deps.store.manifest(active.version).modules;
    return {
      config: { functions: active?.functions ?? "convex/", authInfo: active?.authInfo ?? [] },
      moduleHashes: modules.map((bundle) => ({
        path: bundle.path,
        hash: bundle.sha256,
        environment: bundle.environment,
      })),
      udfServerVersion: active?.udfServerVersion ?? null,
      nodeVersion: active?.nodeVersion ?? null,
    };
  }

  /** `POST /api/get_config`: the live code itself. */
  config(): Record<string, unknown> {
    const active = this.active;
    const modules =
      active === null
        ? []
        : this.deps.store
            .manifest(active.version)
            .modules.map((bundle) => this.deps.store.readModule(active.version, bundle));
    return {
      config: { functions: active?.functions ?? "convex/", authInfo: active?.authInfo ?? [] },
      modules,
      udfServerVersion: active?.udfServerVersion ?? null,
      nodeVersion: active?.nodeVersion ?? null,
    };
  }

  /**
   * `POST /api/update_environment_variables`: applies the changes as one, after checking them as a
   * deployment does (names, sizes, limits, built-in names, required variables) and evaluating the
   * auth config with the new values. Every live query runs again; modules load again so
   * module-level code sees the new values.
   */
  async updateEnvironmentVariables(body: unknown): Promise<void> {
    const changes = isRecord(body) && Array.isArray(body.changes) ? (body.changes as unknown[]) : null;
    if (changes === null) throw new PushError("InvalidRequest", "Expected {changes: [{name, value}]}");
    await this.serialized(async () => {
      const next = this.deps.scope.variables();
      const parsed = changes.map((change) => {
        if (!isRecord(change) || typeof change.name !== "string") {
          throw new PushError("InvalidRequest", "Each change needs a name");
        }
        if (change.value !== undefined && change.value !== null && typeof change.value !== "string") {
          throw new PushError("InvalidRequest", "A value must be a string");
        }
        return { name: change.name, value: typeof change.value === "string" ? change.value : null };
      });
      try {
        for (const { name, value } of parsed) {
          if (value === null) {
            delete next[name];
            continue;
          }
          checkEnvVarName(name);
          checkEnvVarValue(value);
          if ((SYSTEM_ENV_VAR_NAMES as readonly string[]).includes(name)) {
            throw new EnvVarError(
              "EnvVarNameForbidden",
              `Environment variable with name "${name}" is built-in and cannot be overridden`,
            );
          }
          next[name] = value;
        }
        checkEnvVarSet(next);
      } catch (error) {
        if (error instanceof EnvVarError) throw new PushError(error.code, error.message);
        throw error;
      }
      const unset = parsed.filter((change) => change.value === null).map((change) => change.name);
      const blocked = requiredEnvVars(this.active?.definition ?? null).filter((name) => unset.includes(name));
      if (blocked.length > 0) {
        throw new PushError(
          "RequiredEnvironmentVariable",
          `Cannot delete required environment variables: ${blocked.join(", ")}. These are declared as required in the app definition.`,
        );
      }
      const loaded = this.loaded;
      let providers: AuthInfo[] | null = null;
      if (loaded?.hasAuthConfig === true) {
        providers = await this.evaluateAuthConfig(
          this.deps.store.dir(loaded.version),
          next,
          "This change would make the auth config invalid",
        );
      }
      this.deps.store.setEnvironmentVariables(next);
      this.deps.scope.set(next);
      if (providers !== null) {
        this.deps.verifier.setProviders(providersFromAuthInfo(providers));
        const active = this.active;
        if (active !== null) this.deps.store.setActive({ ...active, authInfo: providers });
      }
      await this.reloadModules();
      this.deps.engine.invalidateAll();
      this.deps.refreshAll();
    });
  }

  /**
   * After `next` became live: removes the code directories nothing needs any more (kept: the live
   * version, pending pushes, and the versions whose components the live code took over, with those
   * of pending pushes) and forgets the source maps of the versions gone.
   */
  private retire(previous: LoadedCode | null, next: LoadedCode): void {
    const pending = [...this.pending.values()].map((push) => push.loaded);
    const needed = new Map<string, SourceMaps>([[next.version, next.maps]]);
    for (const loaded of [next, ...pending]) {
      needed.set(loaded.version, loaded.maps);
      for (const [version, maps] of originsOf(loaded)) needed.set(version, maps);
    }
    this.deps.store.prune(needed.keys());
    for (const [version, maps] of this.retainedMaps) if (!needed.has(version)) maps.dispose();
    if (previous !== null && !needed.has(previous.version)) previous.maps.dispose();
    this.retainedMaps = new Map([...needed].filter(([version]) => version !== next.version));
  }

  /** Source maps of versions other than the live one that are still in use (see `retire`). */
  private retainedMaps = new Map<string, SourceMaps>();

  /** Loads the live code again from a fresh copy of its directory, so module-level code runs again. */
  private async reloadModules(): Promise<void> {
    const active = this.active;
    const current = this.loaded;
    if (active === null || current === null) return;
    const { store } = this.deps;
    const version = store.relink(active.version);
    try {
      const manifest = store.manifest(version);
      const modules = [...manifest.modules, manifest.schema, manifest.definition, ...componentModules(manifest)]
        .filter((bundle): bundle is StoredModule => bundle !== null)
        .map((bundle) => store.readModule(version, bundle));
      const loaded = await this.load(version, manifest, modules, this.deps.scope.variables());
      await this.deps.engine.replaceCode(loaded.engineCode, { sourceDir: store.codeRoot });
      this.loaded = loaded;
      store.setActive({ ...active, version });
      this.retire(current, loaded);
    } catch (error) {
      store.remove(version);
      this.deps.log(
        `local Convex server: the code did not load again with the new variables: ${(error as Error).message}`,
      );
    }
  }

  /**
   * The system queries the CLI runs (convex-backend npm-packages/system-udfs/convex/_system):
   * the value, and the tables whose writes change it. Null for any other path.
   */
  systemQuery(udfPath: string, args: Record<string, Value>): { value: JSONValue; tables: string[] } | null {
    const { engine, scope } = this.deps;
    switch (udfPath) {
      case "_system/cli/queryEnvironmentVariables:default": {
        const variables = scope.variables();
        return {
          value: Object.entries(variables).map(([name, value], i) => ({
            _id: `${i + 1}_environment_variables`,
            _creationTime: 0,
            name,
            value,
          })),
          tables: [],
        };
      }
      case "_system/cli/queryEnvironmentVariables:get": {
        const name = typeof args.name === "string" ? args.name : "";
        const value = scope.env[name];
        return { value: value === undefined ? null : { name, value }, tables: [] };
      }
      case "_system/cli/convexUrl:cloudUrl":
        return { value: this.deps.cloudUrl, tables: [] };
      case "_system/frontend/components:list":
        return {
          value: [{ id: "root", name: null, path: "", args: {}, state: "active", httpPrefix: null }],
          tables: [],
        };
      case "_system/cli/modules:apiSpec":
        return { value: this.apiSpec(), tables: [] };
      case "_system/cli/queryTable:default": {
        const table = typeof args.tableName === "string" ? args.tableName : "";
        return { value: engine.tableWrites(table), tables: [table] };
      }
      case "_system/cli/tableSize:default": {
        const table = typeof args.tableName === "string" ? args.tableName : "";
        return { value: engine.internals.committedDocuments(table).length, tables: [table] };
      }
      case "_system/cli/tables:default": {
        const tables = engine.internals
          .tables()
          .filter((name) => !name.startsWith("_"))
          .sort(byCodePoint);
        return {
          value: { page: tables.map((name) => ({ name })), isDone: true, continueCursor: "end" },
          tables,
        };
      }
      case "_system/cli/tableData:default": {
        const table = typeof args.table === "string" ? args.table : "";
        const options = (isRecord(args.paginationOpts) ? args.paginationOpts : {}) as {
          numItems?: unknown;
          cursor?: unknown;
        };
        const documents = [...engine.internals.committedDocuments(table)].sort(
          (a, b) => Number(a._creationTime) - Number(b._creationTime),
        );
        if (args.order === "desc") documents.reverse();
        const start = typeof options.cursor === "string" ? Number(options.cursor) || 0 : 0;
        const count = typeof options.numItems === "number" ? options.numItems : 100;
        const page = documents.slice(start, start + count);
        return {
          value: {
            page: page.map((doc) => convexToJson(doc)),
            isDone: start + count >= documents.length,
            continueCursor: String(start + page.length),
          },
          tables: [table],
        };
      }
      default:
        return null;
    }
  }

  private apiSpec(): JSONValue[] {
    const spec: JSONValue[] = [];
    for (const [modulePath, bundle] of Object.entries(this.loaded?.analysis ?? {})) {
      for (const fn of bundle.functions) {
        spec.push({
          identifier: `${modulePath}:${fn.name}`,
          functionType: fn.udfType,
          visibility: fn.visibility ?? { kind: "public" },
          args: JSON.parse(fn.args ?? '{"type":"any"}') as JSONValue,
          returns: JSON.parse(fn.returns ?? '{"type":"any"}') as JSONValue,
        });
      }
      for (const route of bundle.httpRoutes ?? []) {
        spec.push({ functionType: "HttpAction", method: route.route.method, path: route.route.path });
      }
    }
    return spec;
  }
}
