/**
 * The deployment's environment variables, as a Convex deployment keeps them: set with
 * `npx convex env set` (the deployment API), seen by functions through `process.env`, and never
 * the server process's own environment.
 *
 * Code of a deployment runs inside `DeploymentScope.run`: while it does (and in everything it
 * starts: promises, timers, scheduled functions), the global `process` is a view of the real one
 * whose `env` is the deployment's variables plus `CONVEX_CLOUD_URL` and `CONVEX_SITE_URL`, and the
 * real `process.env` (what `import process from "node:process"` and `import { env } from
 * "node:process"` reach in a `"use node"` module) answers the same. Several servers in one process
 * each have their own. The object is kept and updated in place, because generated code captures
 * it once (`export const env = process.env` in `_generated/server.js`).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { syncBuiltinESMExports } from "node:module";

/** Convex's rules for variable names and sizes (convex-backend crates/common/src/types/environment_variables.rs). */
const NAME_PATTERN = /^[a-zA-Z_]+[a-zA-Z0-9_]*$/;
const MAX_NAME_LENGTH = 256;
const MAX_VALUE_LENGTH = 8 * 1024;
export const ENV_VAR_LIMIT = 512;
export const ENV_VAR_TOTAL_SIZE_LIMIT = 512 * 1024;
/** Set by the platform; a deployment refuses to have them overridden. */
export const SYSTEM_ENV_VAR_NAMES = ["CONVEX_CLOUD_URL", "CONVEX_SITE_URL"] as const;

/** A change a deployment refuses, with Convex's error code. */
export class EnvVarError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "EnvVarError";
  }
}

export function checkEnvVarName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new EnvVarError(
      "EnvironmentVariableNameInvalid",
      `The environment variable name ${name} is invalid. Environment variable names must begin with a letter and may only include characters a-z, A-Z, 0-9, and underscores.`,
    );
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new EnvVarError(
      "EnvironmentVariableNameTooLong",
      `The environment variable name ${name} is too long. Environment variable names must be less than ${MAX_NAME_LENGTH}.`,
    );
  }
}

export function checkEnvVarValue(value: string): void {
  const length = Buffer.byteLength(value, "utf8");
  if (length > MAX_VALUE_LENGTH) {
    throw new EnvVarError(
      "EnvironmentVariableValueTooLarge",
      `The environment variable value is ${length} bytes, which is too large. (max size: ${MAX_VALUE_LENGTH}`,
    );
  }
}

/** Checks a whole set of variables against the deployment's limits. */
export function checkEnvVarSet(variables: Record<string, string>): void {
  const names = Object.keys(variables);
  if (names.length > ENV_VAR_LIMIT) {
    throw new EnvVarError("EnvVarLimitMet", `The environment variable limit (${ENV_VAR_LIMIT}) has been met.`);
  }
  const total = names.reduce((sum, name) => sum + name.length + Buffer.byteLength(variables[name]!, "utf8"), 0);
  if (total > ENV_VAR_TOTAL_SIZE_LIMIT) {
    throw new EnvVarError(
      "EnvVarTotalSizeLimitMet",
      `The total size of all environment variables (${total} bytes) exceeds the limit (${ENV_VAR_TOTAL_SIZE_LIMIT} bytes).`,
    );
  }
}

type Scope = { env: Record<string, string | undefined> };

const storage = new AsyncLocalStorage<Scope>();
let installed = false;

/**
 * The process's own environment object, answering for the deployment whose code is running:
 * inside a scope, reads, writes and listings go to that deployment's variables; outside, to the
 * server's own.
 */
function scopedEnv(own: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const target = () => storage.getStore()?.env ?? own;
  return new Proxy(own, {
    get: (_, name) => Reflect.get(target(), name) as unknown,
    set: (_, name, value) => Reflect.set(target(), name, value),
    has: (_, name) => Reflect.has(target(), name),
    deleteProperty: (_, name) => Reflect.deleteProperty(target(), name),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, name) => Reflect.getOwnPropertyDescriptor(target(), name),
    defineProperty: (_, name, descriptor) => Reflect.defineProperty(target(), name, descriptor),
  });
}

/**
 * Replaces the global `process` with an accessor: inside a deployment scope it answers a view
 * whose `env` is that deployment's; everywhere else, the real `process`. Installed once per process.
 */
function install(): void {
  if (installed) return;
  installed = true;
  const real = process;
  real.env = scopedEnv(real.env);
  // `import { env } from "node:process"` is a binding of its own: point it at the same object.
  syncBuiltinESMExports();
  const views = new WeakMap<Scope, NodeJS.Process>();
  const viewOf = (scope: Scope): NodeJS.Process => {
    let view = views.get(scope);
    if (view === undefined) {
      view = new Proxy(real, {
        get: (target, property) => (property === "env" ? scope.env : (Reflect.get(target, property) as unknown)),
        set: (target, property, value) => (property === "env" ? false : Reflect.set(target, property, value)),
      });
      views.set(scope, view);
    }
    return view;
  };
  Object.defineProperty(globalThis, "process", {
    configurable: true,
    enumerable: false,
    get() {
      const scope = storage.getStore();
      return scope === undefined ? real : viewOf(scope);
    },
    set(value: NodeJS.Process) {
      // Something replaced `process` outside any deployment (a test's stub): keep its value.
      Object.defineProperty(globalThis, "process", { configurable: true, writable: true, value });
    },
  });
}

/** Whether the variable being read is read by Node.js itself (its first frame outside this file is Node's). */
function readByNode(): boolean {
  const frames = (new Error().stack ?? "").split("\n").slice(1);
  const caller = frames.find((frame) => !frame.includes(import.meta.filename) && !frame.includes("Reflect.get"));
  return caller?.includes("node:internal/") ?? false;
}

/**
 * One deployment's environment: the variables it was given and the system ones. `run` runs code
 * of the deployment with it; `runStrict` runs the auth config, where reading an unset variable
 * fails the push (as a deployment does).
 */
export class DeploymentScope {
  /** What functions see as `process.env`: updated in place. */
  readonly env: Record<string, string | undefined> = {};
  private readonly scope: Scope = { env: this.env };
  private user: Record<string, string> = {};
  private system: Record<string, string> = {};

  constructor(variables: Record<string, string>, system: { cloudUrl: string; siteUrl: string }) {
    install();
    this.setSystem(system);
    this.set(variables);
  }

  /** The deployment's own variables (not the system ones), sorted by name. */
  variables(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.user).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  set(variables: Record<string, string>): void {
    this.user = { ...variables };
    this.refresh();
  }

  setSystem(system: { cloudUrl: string; siteUrl: string }): void {
    this.system = { CONVEX_CLOUD_URL: system.cloudUrl, CONVEX_SITE_URL: system.siteUrl };
    this.refresh();
  }

  run<T>(fn: () => T): T {
    return storage.run(this.scope, fn);
  }

  /** Runs `fn` seeing `variables` (or the deployment's), where an unset one throws `missing(name)`. */
  runStrict<T>(variables: Record<string, string>, missing: (name: string) => Error, fn: () => T): T {
    const values = { ...variables, ...this.system };
    const env = new Proxy(values as Record<string, string | undefined>, {
      get(target, name) {
        if (typeof name !== "string" || name in target) return Reflect.get(target, name) as unknown;
        // Node's own module loader reads its variables (NODE_V8_COVERAGE, …) while the config is
        // imported, through this same object: those are not the config's reads.
        if (readByNode()) return undefined;
        throw missing(name);
      },
    });
    return storage.run({ env }, fn);
  }

  private refresh(): void {
    for (const name of Object.keys(this.env)) delete this.env[name];
    Object.assign(this.env, this.user, this.system);
  }
}
