/**
 * The components of a functions directory loaded from disk (the server's `convexDir`), found as the
 * Convex CLI finds them for a push: from the imports of `convex.config.ts`, then of each component's
 * own `convex.config`. Outside the Convex runtime `app.use(component)` throws unless the component's
 * definition carries the `componentDefinitionPath` (and `defaultName`) a deployment's loader gives
 * it, so each definition is imported first, children before parents, and given them before the
 * definition that uses it is imported.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** A component definition used by the directory's app, directly or through another component. */
export type DirectoryComponent = {
  /** Its directory relative to the functions directory, as a push names a definition. */
  definitionPath: string;
  /** Its directory on disk. */
  dir: string;
  /** The `defineComponent(...)` its `convex.config` exports. */
  definition: unknown;
  /** Its function modules, relative to `dir` (`lib.js`, `sub/x.ts`): not `_generated/`, the schema or the config. */
  modulePaths: string[];
  /** Its `schema` module, or null. */
  schemaPath: string | null;
};

export type DirectoryDefinitions = {
  /** The `defineApp()` the directory's `convex.config` exports. */
  app: unknown;
  components: DirectoryComponent[];
};

const SOURCE = /\.[cm]?[jt]sx?$/;
const CONFIG_FILE = /^convex\.config\.[cm]?[jt]sx?$/;
const IMPORTED_CONFIG = /(?:^|\/)convex\.config(?:\.[cm]?[jt]sx?)?$/;
const DEFAULT_IMPORT = /\bimport\s+[A-Za-z_$][\w$]*\s+from\s+["']([^"']+)["']/g;

/** `dir`'s `convex.config.ts` (or `.js`, …), or null. */
function configIn(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const name = readdirSync(dir)
    .filter((entry) => CONFIG_FILE.test(entry))
    .sort()
    .find((entry) => !entry.endsWith(".d.ts"));
  return name === undefined ? null : path.join(dir, name);
}

/** Where `specifier`, imported by `from`, is on disk (relative paths may leave out the extension). */
function resolveImport(specifier: string, from: string): string {
  if (specifier.startsWith(".")) {
    const base = path.resolve(path.dirname(from), specifier);
    const candidates = [base, ...[".ts", ".js", ".mts", ".mjs", ".tsx", ".jsx"].map((ext) => base + ext)];
    const found = candidates.find((candidate) => existsSync(candidate) && !candidate.endsWith(".d.ts"));
    if (found === undefined) throw new Error(`${from} imports ${specifier}, which does not exist`);
    return realpathSync(found);
  }
  return realpathSync(createRequire(from).resolve(specifier));
}

/** The component definitions `configFile` imports by default import. */
function importedConfigs(configFile: string): string[] {
  const source = readFileSync(configFile, "utf8");
  return [...source.matchAll(DEFAULT_IMPORT)]
    .map((match) => match[1]!)
    .filter((specifier) => IMPORTED_CONFIG.test(specifier))
    .map((specifier) => resolveImport(specifier, configFile));
}

/** A component directory's function modules and schema (not `_generated/`, nor nested component definitions). */
function componentFiles(dir: string): { modulePaths: string[]; schemaPath: string | null } {
  const modulePaths: string[] = [];
  let schemaPath: string | null = null;
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const relative = path.relative(dir, full).split(path.sep).join("/");
      if (entry.isDirectory()) {
        if (entry.name === "_generated" || entry.name === "node_modules" || configIn(full) !== null) continue;
        walk(full);
        continue;
      }
      if (!SOURCE.test(entry.name) || entry.name.endsWith(".d.ts") || entry.name.split(".").length > 2) continue;
      if (/^schema\.[cm]?[jt]s$/.test(relative)) schemaPath = relative;
      else modulePaths.push(relative);
    }
  };
  walk(dir);
  return { modulePaths: modulePaths.sort(), schemaPath };
}

/**
 * Imports the app's `convex.config` in `functionsDir` and every component definition it uses
 * (`load` imports a file as the deployment imports its modules). Null when the directory has no
 * `convex.config`.
 */
export async function loadDirectoryDefinitions(
  functionsDir: string,
  load: (file: string) => Promise<Record<string, unknown>>,
): Promise<DirectoryDefinitions | null> {
  const appConfig = configIn(functionsDir);
  if (appConfig === null) return null;
  const components = new Map<string, DirectoryComponent>();
  const visiting = new Set<string>();
  const prepare = async (configFile: string, chain: string[]) => {
    for (const childConfig of importedConfigs(configFile)) {
      if (components.has(childConfig)) continue;
      if (visiting.has(childConfig)) {
        throw new Error(`Components use each other in a cycle: ${[...chain, childConfig].join(" -> ")}`);
      }
      visiting.add(childConfig);
      await prepare(childConfig, [...chain, childConfig]);
      const definition = (await load(childConfig)).default as Record<string, unknown> | undefined;
      if (typeof definition !== "object" || definition === null || typeof definition.export !== "function") {
        throw new Error(`The default export of ${childConfig} must be \`defineComponent(...)\``);
      }
      const dir = path.dirname(childConfig);
      const definitionPath = path.relative(functionsDir, dir).split(path.sep).join("/");
      const exported = (definition.export as () => { definitionType?: { name?: unknown } }).call(definition);
      // What a deployment's loader puts on an imported definition (see componentDepModule).
      definition.componentDefinitionPath = definitionPath;
      definition.defaultName = exported.definitionType?.name;
      components.set(childConfig, { definitionPath, dir, definition, ...componentFiles(dir) });
      visiting.delete(childConfig);
    }
  };
  await prepare(appConfig, [appConfig]);
  const app = (await load(appConfig)).default;
  return { app, components: [...components.values()] };
}
