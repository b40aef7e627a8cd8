/**
 * The pushed bundles' source maps, so that what a developer reads names their own files: stack
 * frames of pushed code become `../convex/messages.ts:12:3` (as a deployment prints them), and
 * the analysis gives each function its position in the original source.
 */
import { SourceMap } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

type Entry = { map: SourceMap | null; source: string };

/** Every code directory whose frames are mapped, by its absolute path. */
const registry = new Map<string, Map<string, Entry>>();
/**
 * Original sources by the absolute path a source-map-aware runtime (tsx, vitest, Node's
 * `--enable-source-maps`) resolves them to, with how a deployment names them (`../convex/x.ts`).
 */
const resolvedSources = new Map<string, string>();

/** The source maps of one code directory. */
export class SourceMaps {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly dir: string) {
    registry.set(path.resolve(dir), this.entries);
  }

  /** Registers a module (path relative to the directory, e.g. `messages.js`) and its source map. */
  add(modulePath: string, source: string, sourceMap: string | undefined): void {
    let map: SourceMap | null = null;
    if (sourceMap !== undefined) {
      try {
        map = new SourceMap(JSON.parse(sourceMap) as ConstructorParameters<typeof SourceMap>[0]);
        const moduleDir = path.dirname(path.join(path.resolve(this.dir), modulePath));
        for (const source of (map.payload as { sources?: string[] }).sources ?? []) {
          if (!/^[a-z]+:/.test(source)) resolvedSources.set(path.resolve(moduleDir, source), source);
        }
      } catch {
        map = null;
      }
    }
    this.entries.set(modulePath, { map, source });
  }

  /** Forgets the directory (its code was replaced and removed). */
  dispose(): void {
    registry.delete(path.resolve(this.dir));
  }

  /**
   * Where `fn` starts in the original source of `modulePath`, as a deployment reports it in a
   * function's analysis (`{path, start_lineno, start_col}`), or null when it cannot tell.
   */
  position(modulePath: string, fn: unknown): { path: string; start_lineno: number; start_col: number } | null {
    const entry = this.entries.get(modulePath);
    if (entry?.map === null || entry === undefined || typeof fn !== "function") return null;
    const text = Function.prototype.toString.call(fn);
    const offset = entry.source.indexOf(text);
    if (offset === -1) return null;
    const before = entry.source.slice(0, offset);
    const line = before.split("\n").length - 1;
    const column = offset - (before.lastIndexOf("\n") + 1);
    const found = entry.map.findEntry(line, column) as { originalLine?: number; originalColumn?: number };
    if (found.originalLine === undefined || found.originalColumn === undefined) return null;
    return { path: modulePath, start_lineno: found.originalLine, start_col: found.originalColumn };
  }

  /** Whether the source map of `modulePath` carries its original source (a deployment's `sourceMapped`). */
  sourceIndex(modulePath: string): number | null {
    const map = this.entries.get(modulePath)?.map;
    if (map === null || map === undefined) return null;
    const payload = map.payload as { sources?: string[]; sourcesContent?: (string | null)[] };
    const stem = path.basename(modulePath).replace(/\.[^.]+$/, "");
    const index = (payload.sources ?? []).findIndex((source) => path.basename(source).replace(/\.[^.]+$/, "") === stem);
    return index !== -1 && typeof payload.sourcesContent?.[index] === "string" ? index : null;
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Directories of code loaded from disk as it is (not pushed): frames name them by a prefix. */
const plainDirs = new Map<string, string>();

/** Frames in `dir` (code loaded from its sources, not pushed) read `${prefix}/file.ts:1:2`. */
export function registerSourceDir(dir: string, prefix: string): void {
  plainDirs.set(path.resolve(dir), prefix);
}

function locationPattern(dir: string): RegExp {
  const prefix = `(?:${escape(pathToFileURL(dir).href)}|${escape(dir)})/`;
  return new RegExp(`${prefix}([^:)\\s?]+)(?:\\?[^:)\\s]*)?:(\\d+):(\\d+)`, "g");
}

/**
 * Rewrites locations of a deployment's code in `text` (`file:///…/code/7/messages.js:30:11`,
 * with or without the scheme and a query) to the original source's, e.g.
 * `../convex/messages.ts:12:3`. Locations with no mapping keep the module's path inside the push
 * (`_deps/X.js:4:2`). Returns null when `text` names no deployment code at all.
 */
export function mapStackLocations(text: string): string | null {
  let out = text;
  let mapped = false;
  for (const [dir, entries] of registry) {
    if (!out.includes(dir)) continue;
    out = out.replace(locationPattern(dir), (_match, modulePath: string, line: string, column: string) => {
      mapped = true;
      const entry = entries.get(modulePath);
      const found = entry?.map?.findEntry(Number(line) - 1, Number(column) - 1) as
        { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
      if (found?.originalSource === undefined || found.originalLine === undefined) {
        return `${modulePath}:${line}:${column}`;
      }
      return `${found.originalSource}:${found.originalLine + 1}:${(found.originalColumn ?? 0) + 1}`;
    });
  }
  for (const [file, source] of resolvedSources) {
    if (!out.includes(file)) continue;
    const pattern = new RegExp(`(?:${escape(pathToFileURL(file).href)}|${escape(file)})(?=:\\d+:\\d+)`, "g");
    out = out.replace(pattern, () => {
      mapped = true;
      return source;
    });
  }
  for (const [dir, prefix] of plainDirs) {
    if (!out.includes(dir)) continue;
    out = out.replace(locationPattern(dir), (_match, modulePath: string, line: string, column: string) => {
      mapped = true;
      return `${prefix}/${modulePath}:${line}:${column}`;
    });
  }
  return mapped ? out : null;
}
