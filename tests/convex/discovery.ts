export type DiscoveredFunction = {
  /** `module:export`, as clients name it (`projects:list`). */
  name: string;
  kind: "query" | "mutation" | "action";
  args: unknown;
  returns: unknown;
};

type RegisteredLike = {
  isPublic?: boolean;
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  exportArgs?: () => string;
  exportReturns?: () => string;
};

/** Modules that define no functions: configuration, schema and the HTTP router. */
const NON_FUNCTION_MODULES = new Set(["schema", "auth.config", "http", "crons"]);

/** The part of the modules' keys before `_generated/` (`../../convex/`, `./`), as convex-test finds it. */
function modulesRoot(paths: string[]): string {
  const generated = paths.find((path) => path.includes("_generated/"));
  if (generated === undefined) throw new Error("discoverPublicFunctions: the modules have no _generated/ directory");
  return generated.slice(0, generated.indexOf("_generated/"));
}

/**
 * Every public query, mutation and action the deployment would expose, found from the modules
 * (the tests' glob, or the modules read from disk).
 */
export async function discoverPublicFunctions(
  modules: Record<string, () => Promise<unknown>>,
): Promise<DiscoveredFunction[]> {
  const found: DiscoveredFunction[] = [];
  const root = modulesRoot(Object.keys(modules));
  for (const [path, load] of Object.entries(modules)) {
    if (!path.startsWith(root)) continue;
    const moduleName = path.slice(root.length).replace(/\.[jt]s$/, "");
    if (moduleName.startsWith("_generated/") || moduleName.startsWith("model/")) continue;
    if (NON_FUNCTION_MODULES.has(moduleName)) continue;
    const exports = (await load()) as Record<string, unknown>;
    for (const [exportName, exported] of Object.entries(exports)) {
      if (typeof exported !== "function") continue;
      const value = exported as RegisteredLike;
      if (value.isPublic !== true) continue;
      const kind = value.isQuery ? "query" : value.isMutation ? "mutation" : value.isAction ? "action" : null;
      if (kind === null) continue;
      found.push({
        name: `${moduleName}:${exportName}`,
        kind,
        args: JSON.parse(value.exportArgs?.() ?? "null"),
        returns: JSON.parse(value.exportReturns?.() ?? "null"),
      });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** True when a validator's JSON form contains `v.any()` anywhere. */
export function containsAny(validatorJson: unknown): boolean {
  if (Array.isArray(validatorJson)) return validatorJson.some(containsAny);
  if (typeof validatorJson !== "object" || validatorJson === null) return false;
  const record = validatorJson as Record<string, unknown>;
  if (record.type === "any") return true;
  return Object.values(record).some(containsAny);
}
