/**
 * Pushed code and the deployment's settings on disk, beside the database:
 *
 * - `code/<n>/`: one directory per push, holding the bundles as the CLI sent them (`messages.js`,
 *   `_deps/…`, `schema.js`, `convex.config.js`, each with its `.map`), written once and imported
 *   from there. A directory is never changed after it is written, so a module URL always names one
 *   version of the code; unchanged modules are hard links to the previous push's files.
 * - `deployment.json`: the environment variables, and which push is live with what its analysis
 *   found (functions, schema, auth providers), so a restart serves the last pushed code.
 * - `admin_key`: the key the deployment API asks for.
 *
 * Everything is the owner's only: directories 0700, files 0600.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import type { AnalyzedModule, AuthInfo, DatabaseSchemaJson, DefinitionMetadata } from "./analyze";

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const STATE_FILE = "deployment.json";
const ADMIN_KEY_FILE = "admin_key";
const STATE_FORMAT = 1;

export type ModuleEnvironment = "isolate" | "node";

/** A bundle as the CLI pushes it (`ModuleConfig`). */
export type ModuleConfig = { path: string; source: string; sourceMap?: string; environment: ModuleEnvironment };

/** A runtime module of a push as `get_config_hashes` reports it. */
export type StoredModule = { path: string; sha256: string; environment: ModuleEnvironment };

/**
 * A component definition's bundles in a code directory, under `dir` (`_components/<base64url of
 * its definition path>/`); its modules' paths include `dir`.
 */
export type StoredComponent = {
  /** Where the definition is, relative to the app's functions directory (the CLI's `definitionPath`). */
  definitionPath: string;
  dir: string;
  /** The definition paths of the components it uses. */
  dependencies: string[];
  definition: StoredModule;
  schema: StoredModule | null;
  modules: StoredModule[];
};

/** What a code directory holds. */
export type CodeManifest = {
  modules: StoredModule[];
  schema: StoredModule | null;
  definition: StoredModule | null;
  /** Component definitions (absent in directories written before components were served). */
  components?: StoredComponent[];
};

/** The live push: what the deployment answers about its code without loading it. */
export type ActiveCode = {
  version: string;
  /** The CLI's `functions` setting (`convex/`), kept as a deployment's config keeps it. */
  functions: string;
  udfServerVersion: string;
  /** `importPhaseRngSeed` (base64) and `importPhaseUnixTimestamp` (ns) of the push's `udfConfig`. */
  udfConfig: { seed: string; timestampNs: string };
  nodeVersion: string | null;
  schemaId: string | null;
  analysis: Record<string, AnalyzedModule>;
  schema: DatabaseSchemaJson | null;
  definition: DefinitionMetadata;
  authInfo: AuthInfo[];
};

type StoredState = {
  format: number;
  environmentVariables: Record<string, string>;
  active: ActiveCode | null;
  lastVersion: number;
};

/** The hash the CLI compares to decide a module is unchanged: sha256 of source and source map. */
export function moduleHash(bundle: { source: string; sourceMap?: string }): string {
  return createHash("sha256")
    .update(bundle.source)
    .update(bundle.sourceMap ?? "")
    .digest("hex");
}

function writePrivate(file: string, contents: string): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, contents, { mode: FILE_MODE });
  chmodSync(temporary, FILE_MODE);
  renameSync(temporary, file);
}

/** Module paths stay inside their directory: relative, `/`-separated, no `..`, `.js`-like names. */
function checkModulePath(modulePath: string): void {
  const parts = modulePath.split("/");
  if (
    modulePath.length === 0 ||
    modulePath.length > 512 ||
    modulePath.startsWith("/") ||
    modulePath.includes("\\") ||
    parts.some((part) => part === "" || part === "." || part === ".." || part.startsWith(".")) ||
    !/\.(js|cjs|mjs)$/.test(modulePath) ||
    /[\0:]/.test(modulePath)
  ) {
    throw new Error(`Invalid module path: ${JSON.stringify(modulePath)}`);
  }
}

export class CodeStore {
  readonly codeRoot: string;
  private readonly stateFile: string;
  private state: StoredState;

  constructor(readonly dataDir: string) {
    this.codeRoot = path.join(dataDir, "code");
    this.stateFile = path.join(dataDir, STATE_FILE);
    mkdirSync(this.codeRoot, { recursive: true, mode: DIR_MODE });
    chmodSync(this.codeRoot, DIR_MODE);
    if (existsSync(this.stateFile)) chmodSync(this.stateFile, FILE_MODE);
    this.state = this.load();
  }

  private load(): StoredState {
    let text: string;
    try {
      text = readFileSync(this.stateFile, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return { format: STATE_FORMAT, environmentVariables: {}, active: null, lastVersion: 0 };
      }
      throw error;
    }
    let stored: Partial<StoredState>;
    try {
      stored = JSON.parse(text) as Partial<StoredState>;
    } catch {
      throw new Error(`${this.stateFile} is not valid JSON. Move it away to start without pushed code.`);
    }
    if (stored.format !== STATE_FORMAT || typeof stored.environmentVariables !== "object") {
      throw new Error(`${this.stateFile} was not written by this version of the local Convex server. Move it away.`);
    }
    return {
      format: STATE_FORMAT,
      environmentVariables: stored.environmentVariables ?? {},
      active: stored.active ?? null,
      lastVersion: Number(stored.lastVersion ?? 0),
    };
  }

  private save(): void {
    writePrivate(this.stateFile, JSON.stringify(this.state));
  }

  get environmentVariables(): Record<string, string> {
    return { ...this.state.environmentVariables };
  }

  setEnvironmentVariables(variables: Record<string, string>): void {
    this.state.environmentVariables = { ...variables };
    this.save();
  }

  get active(): ActiveCode | null {
    return this.state.active;
  }

  setActive(active: ActiveCode | null): void {
    this.state.active = active;
    this.save();
  }

  /** The directory of a version. */
  dir(version: string): string {
    return path.join(this.codeRoot, version);
  }

  /** A new, empty version directory. */
  createVersion(): string {
    this.state.lastVersion += 1;
    const existing = readdirSync(this.codeRoot).map(Number).filter(Number.isInteger);
    const next = Math.max(this.state.lastVersion, ...existing.map((n) => n + 1));
    this.state.lastVersion = next;
    this.save();
    const version = String(next);
    const dir = this.dir(version);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { mode: DIR_MODE });
    chmodSync(dir, DIR_MODE);
    // The bundles are ES modules.
    writeFileSync(path.join(dir, "package.json"), '{"type":"module"}\n', { mode: FILE_MODE });
    return version;
  }

  /**
   * Writes modules into `version`: each one (and its source map) as a file, or as a hard link to
   * the same module of `reuse` (a version written earlier) when its hash matches.
   */
  writeModules(
    version: string,
    modules: ModuleConfig[],
    reuse?: { version: string; hashes: Map<string, string> },
  ): void {
    const dir = this.dir(version);
    for (const bundle of modules) {
      checkModulePath(bundle.path);
      const file = path.join(dir, bundle.path);
      mkdirSync(path.dirname(file), { recursive: true, mode: DIR_MODE });
      const previous = reuse?.hashes.get(bundle.path);
      if (reuse !== undefined && previous !== undefined && previous === moduleHash(bundle)) {
        try {
          const from = path.join(this.dir(reuse.version), bundle.path);
          linkSync(from, file);
          if (bundle.sourceMap !== undefined) linkSync(`${from}.map`, `${file}.map`);
          continue;
        } catch {
          rmSync(file, { force: true });
          rmSync(`${file}.map`, { force: true });
        }
      }
      writeFileSync(file, bundle.source, { mode: FILE_MODE });
      if (bundle.sourceMap !== undefined) writeFileSync(`${file}.map`, bundle.sourceMap, { mode: FILE_MODE });
    }
  }

  writeManifest(version: string, manifest: CodeManifest): void {
    writePrivate(path.join(this.dir(version), "manifest.json"), JSON.stringify(manifest));
  }

  manifest(version: string): CodeManifest {
    return JSON.parse(readFileSync(path.join(this.dir(version), "manifest.json"), "utf8")) as CodeManifest;
  }

  /** A module of a version, as the CLI pushed it. */
  readModule(version: string, bundle: StoredModule): ModuleConfig {
    const file = path.join(this.dir(version), bundle.path);
    const source = readFileSync(file, "utf8");
    const sourceMap = existsSync(`${file}.map`) ? readFileSync(`${file}.map`, "utf8") : undefined;
    return {
      path: bundle.path,
      source,
      ...(sourceMap !== undefined && { sourceMap }),
      environment: bundle.environment,
    };
  }

  /**
   * A copy of `version` under a new version (hard links: nothing is rewritten), so its modules are
   * loaded afresh: module-level code runs again, e.g. with changed environment variables.
   */
  relink(version: string): string {
    const copy = this.createVersion();
    const from = this.dir(version);
    const to = this.dir(copy);
    const walk = (relative: string) => {
      for (const entry of readdirSync(path.join(from, relative), { withFileTypes: true })) {
        const name = path.join(relative, entry.name);
        if (entry.isDirectory()) {
          mkdirSync(path.join(to, name), { mode: DIR_MODE });
          walk(name);
        } else if (name !== "package.json") {
          linkSync(path.join(from, name), path.join(to, name));
        }
      }
    };
    walk("");
    return copy;
  }

  /** Removes every version directory but `keep`. */
  prune(keep: Iterable<string>): void {
    const kept = new Set(keep);
    for (const entry of readdirSync(this.codeRoot)) {
      if (!kept.has(entry)) rmSync(path.join(this.codeRoot, entry), { recursive: true, force: true });
    }
  }

  remove(version: string): void {
    rmSync(this.dir(version), { recursive: true, force: true });
  }
}

/**
 * The admin key: `adminKey` when given, else the one stored in the data directory, else a new one
 * (written 0600). It looks like a self-hosted deployment's: `<instance name>|<hex>`.
 */
export function loadAdminKey(dataDir: string, instanceName: string, given?: string): string {
  if (given !== undefined && given !== "") return given;
  const file = path.join(dataDir, ADMIN_KEY_FILE);
  if (existsSync(file)) {
    chmodSync(file, FILE_MODE);
    const stored = readFileSync(file, "utf8").trim();
    if (stored !== "") return stored;
  }
  const key = `${instanceName}|${randomBytes(32).toString("hex")}`;
  writePrivate(file, `${key}\n`);
  return key;
}
