import { readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * The deployment's modules as convex-test wants them (`"./projects.ts": () => import(...)`), read
 * from disk so nothing keeps a hand-made list. Skips files with more than one dot, as the
 * tests' glob does (tests, fixtures and `auth.config.ts`, which convex-test does not read).
 */
export function convexModules(convexDir: string): Record<string, () => Promise<unknown>> {
  const modules: Record<string, () => Promise<unknown>> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(full);
        continue;
      }
      if (!/\.[cm]?[jt]sx?$/.test(entry.name) || entry.name.endsWith(".d.ts")) continue;
      if (entry.name.split(".").length > 2) continue;
      const key = "./" + path.relative(convexDir, full).split(path.sep).join("/");
      modules[key] = () => import(pathToFileURL(full).href);
    }
  };
  walk(convexDir);
  return modules;
}
