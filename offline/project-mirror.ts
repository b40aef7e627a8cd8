/**
 * Where `npm run dev` runs the real Convex CLI offline: a mirror of the project, so the deployment URLs the CLI
 * saves go to a `.env.local` of the mirror's, not to the project's own (which decides offline or connected mode).
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";

/**
 * A directory of symlinks to the project's own files (not its local settings or data), recreated each start, with a
 * convex.json of its own naming the project's real functions directory: the CLI bundles with esbuild, which resolves
 * every symlink, and its component code generation compares the directories it finds with the functions directory,
 * so that must be the real one too (through a symlinked `convex/`, "found wrong number of app bundles").
 */
export function projectMirror(dir: string, projectDir = process.cwd()): string {
  const root = realpathSync(projectDir);
  const skipped = new Set([".env", ".env.local", ".git", ".next", ".offline", "convex.json", path.basename(dir)]);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mirror = realpathSync(dir);
  for (const name of readdirSync(root)) {
    if (skipped.has(name) || name.startsWith(".env.")) continue;
    const target = path.join(root, name);
    if (!existsSync(target)) continue;
    symlinkSync(target, path.join(mirror, name), lstatSync(target).isDirectory() ? "dir" : "file");
  }
  const configFile = path.join(root, "convex.json");
  const config = (existsSync(configFile) ? JSON.parse(readFileSync(configFile, "utf8")) : {}) as { functions?: string };
  const functions = path.join(root, config.functions ?? "convex");
  writeFileSync(
    path.join(mirror, "convex.json"),
    JSON.stringify({ ...config, functions: path.relative(mirror, functions) }),
  );
  return mirror;
}
