/**
 * The one module that reads the Next.js app's environment (create-t3-app style, by hand).
 *
 * `next.config.ts` calls `validateEnv()` when the build (or dev server) starts, so a missing or
 * malformed variable stops it with a message naming the variable and where to set it. The app reads
 * its public values through the getters below; Next.js inlines each `process.env.NEXT_PUBLIC_*`
 * at build time, which is why every read is spelled out literally.
 *
 * It is also the one home of two rules other tools share: the mode `npm run dev` picks and
 * `npm run doctor` checks (`resolveDevMode`), and where HTTP actions are served (`resolveConvexSiteUrl`).
 */

export type AuthMode = "clerk" | "offline";

export const DEFAULT_OFFLINE_IDP_URL = "http://127.0.0.1:3212";
/**
 * The offline identity provider's API key file: `OFFLINE_IDP_API_KEY_FILE` (the offline stack prints
 * it; the browser tests and benchmarks set it), else where `npm run dev` keeps it. Relative paths are
 * relative to the project. Server side and tools only: the key lets its holder sign anyone in.
 */
export function offlineIdpApiKeyFile(env: Record<string, string | undefined>): string {
  const configured = env.OFFLINE_IDP_API_KEY_FILE?.trim();
  return configured !== undefined && configured !== "" ? configured : ".offline/idp/api-key";
}

/** Where the offline Convex server listens (the Convex CLI's default local port). */
export const DEFAULT_OFFLINE_CONVEX_URL = "http://127.0.0.1:3210";

type Env = Record<string, string | undefined>;

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvError";
  }
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== "";
}

// ---------------------------------------------------------------------------------------------
// Connected or offline: the rule `npm run dev` (scripts/dev.mjs) applies and `npm run doctor` checks.

/**
 * How the Convex CLI finds the deployment, as it decides (convex/src/cli/lib/deploymentSelection.ts):
 * by name (`CONVEX_DEPLOYMENT`: a cloud or local deployment, written by `npx convex dev`), or a
 * self-hosted backend (the open-source Convex backend) by URL and admin key.
 */
export type DeploymentConfig = "deployment" | "self-hosted";

const CLERK_KEY_VARS = ["NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "CLERK_SECRET_KEY"] as const;
const SELF_HOSTED_VARS = ["CONVEX_SELF_HOSTED_URL", "CONVEX_SELF_HOSTED_ADMIN_KEY"] as const;

/** The variables connected mode needs, per deployment configuration (the client URL is needed at build time). */
export const CONNECTED_VARS: Record<DeploymentConfig, readonly string[]> = {
  deployment: ["CONVEX_DEPLOYMENT", "NEXT_PUBLIC_CONVEX_URL", ...CLERK_KEY_VARS],
  "self-hosted": [...SELF_HOSTED_VARS, "NEXT_PUBLIC_CONVEX_URL", ...CLERK_KEY_VARS],
};

export type DevMode =
  | { mode: "offline" }
  | { mode: "connected"; deployment: DeploymentConfig }
  /** Half a configuration: offline mode would quietly ignore what is set. */
  | { mode: "partial"; deployment: DeploymentConfig; set: string[]; missing: string[] }
  /** CONVEX_DEPLOYMENT and a self-hosted variable at once, which the Convex CLI refuses. */
  | { mode: "conflict"; set: string[] };

/**
 * Offline when none of the connected variables is set; connected when one deployment
 * configuration and the Clerk keys are complete. Any self-hosted variable selects the self-hosted
 * configuration; together with CONVEX_DEPLOYMENT it is a conflict, as for the Convex CLI.
 */
export function resolveDevMode(env: Env): DevMode {
  const has = (name: string) => present(env[name]);
  const selfHosted = SELF_HOSTED_VARS.some(has);
  if (selfHosted && has("CONVEX_DEPLOYMENT")) {
    return { mode: "conflict", set: ["CONVEX_DEPLOYMENT", ...SELF_HOSTED_VARS.filter(has)] };
  }
  const deployment: DeploymentConfig = selfHosted ? "self-hosted" : "deployment";
  const vars = CONNECTED_VARS[deployment];
  const set = vars.filter(has);
  if (set.length === 0) return { mode: "offline" };
  const missing = vars.filter((name) => !has(name));
  return missing.length === 0 ? { mode: "connected", deployment } : { mode: "partial", deployment, set, missing };
}

const isAre = (names: readonly string[]) => `${names.join(", ")} ${names.length === 1 ? "is" : "are"}`;

/** What is wrong with a partial or conflicting configuration, and the fix. */
export function devModeProblem(mode: Extract<DevMode, { mode: "partial" | "conflict" }>): {
  message: string;
  fix: string;
} {
  if (mode.mode === "partial") {
    const instead =
      mode.deployment === "deployment" && mode.missing.includes("CONVEX_DEPLOYMENT")
        ? " (for a self-hosted Convex backend: CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY instead of CONVEX_DEPLOYMENT)"
        : "";
    return {
      message: `${isAre(mode.set)} set but ${isAre(mode.missing)} not`,
      fix: `set ${mode.missing.join(", ")} in .env.local (see .env.example)${instead}, or remove ${mode.set.join(", ")} to run offline`,
    };
  }
  return {
    message:
      `${mode.set.join(" and ")} are ${mode.set.length === 2 ? "both" : "all"} set, naming a Convex deployment and a self-hosted backend at once: ` +
      "the Convex CLI refuses to run with both",
    fix: "remove CONVEX_DEPLOYMENT (to use the self-hosted backend) or CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY (to use the deployment) from .env.local and the shell",
  };
}

/** The deployment a connected configuration names, for messages: "Convex deployment dev:…" or "self-hosted Convex backend at …". */
export function describeDeployment(env: Env, deployment: DeploymentConfig): string {
  return deployment === "self-hosted"
    ? `self-hosted Convex backend at ${env.CONVEX_SELF_HOSTED_URL?.trim()}`
    : `Convex deployment ${env.CONVEX_DEPLOYMENT?.trim()}`;
}

// ---------------------------------------------------------------------------------------------
// Where the deployment serves HTTP actions (webhooks, the /api/v1 API).

/** The variables that name the HTTP-actions (site) URL, in order of precedence. */
export const SITE_URL_VARS = ["CONVEX_SITE_URL", "NEXT_PUBLIC_CONVEX_SITE_URL"] as const;
type SiteUrlVar = (typeof SITE_URL_VARS)[number];

/**
 * A Convex cloud host: `<name>.convex.cloud` (client) or `<name>.convex.site` (HTTP actions), with
 * a region part in between for regional deployments (`<name>.eu-west-1.convex.cloud`).
 */
export function convexCloudHost(
  hostname: string,
): { name: string; region: string | null; service: "cloud" | "site" } | null {
  const match = /^([a-z0-9-]+)((?:\.[a-z0-9-]+)*)\.convex\.(cloud|site)$/i.exec(hostname);
  if (!match?.[1] || match[2] === undefined || !match[3]) return null;
  return {
    name: match[1].toLowerCase(),
    region: match[2] === "" ? null : match[2].slice(1).toLowerCase(),
    service: match[3].toLowerCase() as "cloud" | "site",
  };
}

export type SiteUrl = {
  /** Without a trailing slash. */
  url: string;
  /** A variable naming it, or how it was derived from NEXT_PUBLIC_CONVEX_URL. */
  source: SiteUrlVar | "convex.cloud → convex.site" | "next port";
};

/**
 * The HTTP-actions URL: `CONVEX_SITE_URL`, else `NEXT_PUBLIC_CONVEX_SITE_URL` (which `npx convex dev`
 * writes), else derived from the client URL as Convex names them (`.convex.cloud` → `.convex.site`,
 * keeping a region part; a local or self-hosted backend on an explicit port serves them on the next
 * port, as the Convex CLI's local backend and the offline stack do). Null when it cannot be derived:
 * a custom domain, or a self-hosted backend without a port.
 */
export function resolveConvexSiteUrl(env: Env): SiteUrl | null {
  for (const name of SITE_URL_VARS) {
    const value = env[name];
    if (present(value)) return { url: value.trim().replace(/\/+$/, ""), source: name };
  }
  const client = env.NEXT_PUBLIC_CONVEX_URL;
  let url: URL;
  try {
    url = new URL(client?.trim() ?? "");
  } catch {
    return null;
  }
  if (convexCloudHost(url.hostname)?.service === "cloud") {
    url.hostname = url.hostname.replace(/\.convex\.cloud$/i, ".convex.site");
    return { url: url.origin, source: "convex.cloud → convex.site" };
  }
  if (url.port !== "") {
    url.port = String(Number(url.port) + 1);
    return { url: url.origin, source: "next port" };
  }
  return null;
}

function checkHttpUrl(name: string, value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EnvError(`${name} is not a valid URL (got "${value}"). ${where}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new EnvError(`${name} must start with http:// or https:// (got "${value}"). ${where}`);
  }
  if (url.hostname.endsWith(".convex.site") && name === "NEXT_PUBLIC_CONVEX_URL") {
    throw new EnvError(
      `${name} points at an HTTP-actions URL (.convex.site); use the client URL ending in .convex.cloud. ${where}`,
    );
  }
  if (url.hostname.endsWith(".convex.cloud") && SITE_URL_VARS.includes(name as SiteUrlVar)) {
    throw new EnvError(
      `${name} points at a client URL (.convex.cloud); HTTP actions are served on the .convex.site URL. ${where}`,
    );
  }
  return value.replace(/\/+$/, "");
}

/**
 * Connected (Clerk) or offline, fixed at build time: `NEXT_PUBLIC_AUTH_MODE` when set, else
 * `clerk` when a Clerk publishable key is configured, else `offline`.
 */
export function resolveAuthMode(env: Env): AuthMode {
  const explicit = env.NEXT_PUBLIC_AUTH_MODE;
  if (present(explicit)) {
    if (explicit === "clerk" || explicit === "offline") return explicit;
    throw new EnvError(
      `NEXT_PUBLIC_AUTH_MODE must be "clerk" or "offline" (got "${explicit}"). ` +
        "Set it in .env.local, or leave it unset to pick clerk when NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY is set.",
    );
  }
  return present(env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY) ? "clerk" : "offline";
}

export type ValidatedEnv = {
  authMode: AuthMode;
  convexUrl: string;
  offlineIdpUrl: string;
  /** Notes worth printing once (e.g. a default that was filled in). */
  notes: string[];
};

/**
 * Checks the environment the Next.js app is built with. In offline mode an unset Convex URL means
 * the offline stack's default, so `npm run dev` and `npm run build` work with nothing configured;
 * a connected build never guesses.
 */
export function validateEnv(env: Env): ValidatedEnv {
  if (env.SKIP_ENV_VALIDATION === "1") {
    return {
      authMode: resolveAuthMode(env),
      convexUrl: env.NEXT_PUBLIC_CONVEX_URL ?? DEFAULT_OFFLINE_CONVEX_URL,
      offlineIdpUrl: env.NEXT_PUBLIC_OFFLINE_IDP_URL ?? DEFAULT_OFFLINE_IDP_URL,
      notes: ["SKIP_ENV_VALIDATION=1: environment not checked."],
    };
  }
  const authMode = resolveAuthMode(env);
  const notes: string[] = [];
  const localFile = "Set it in .env.local (see .env.example) or in the environment of the build.";

  let convexUrl: string;
  if (present(env.NEXT_PUBLIC_CONVEX_URL)) {
    convexUrl = checkHttpUrl("NEXT_PUBLIC_CONVEX_URL", env.NEXT_PUBLIC_CONVEX_URL, localFile);
  } else if (authMode === "offline") {
    // Offline builds only ever talk to the local stack, so its default address is a safe guess.
    convexUrl = DEFAULT_OFFLINE_CONVEX_URL;
    notes.push(`NEXT_PUBLIC_CONVEX_URL is not set; using the offline Convex server at ${convexUrl}.`);
  } else {
    throw new EnvError(
      "NEXT_PUBLIC_CONVEX_URL is not set. The browser's Convex client needs it at build time. " +
        "`npx convex dev` writes it to .env.local; or set it to your deployment's https://<name>.convex.cloud URL " +
        "(a self-hosted backend: its client URL, e.g. http://127.0.0.1:3210).",
    );
  }
  // Optional, but read by the /api/v1 proxy at request time: a malformed one should stop the build.
  for (const name of SITE_URL_VARS) {
    const value = env[name];
    if (present(value)) checkHttpUrl(name, value.trim(), localFile);
  }

  const offlineIdpUrl = present(env.NEXT_PUBLIC_OFFLINE_IDP_URL)
    ? checkHttpUrl("NEXT_PUBLIC_OFFLINE_IDP_URL", env.NEXT_PUBLIC_OFFLINE_IDP_URL, localFile)
    : DEFAULT_OFFLINE_IDP_URL;

  if (authMode === "clerk") {
    const clerkDashboard = "Copy it from the Clerk dashboard → API keys into .env.local.";
    const publishable = env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY;
    if (!present(publishable)) {
      throw new EnvError(
        `NEXT_PUBLIC_AUTH_MODE is "clerk" but NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY is not set. ${clerkDashboard}`,
      );
    }
    if (!/^pk_(test|live)_/.test(publishable)) {
      throw new EnvError(`NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY must start with pk_test_ or pk_live_. ${clerkDashboard}`);
    }
    const secret = env.CLERK_SECRET_KEY;
    if (!present(secret)) {
      throw new EnvError(`CLERK_SECRET_KEY is not set (the Clerk middleware needs it). ${clerkDashboard}`);
    }
    if (!/^sk_(test|live)_/.test(secret)) {
      throw new EnvError(`CLERK_SECRET_KEY must start with sk_test_ or sk_live_. ${clerkDashboard}`);
    }
  }

  return { authMode, convexUrl, offlineIdpUrl, notes };
}

// ---------------------------------------------------------------------------------------------
// Runtime reads (browser and server). next.config.ts publishes the validated values through its
// `env` option, so these are inlined constants in the bundles.

/** The build's auth mode. */
export function authMode(): AuthMode {
  return process.env.NEXT_PUBLIC_AUTH_MODE === "clerk" ? "clerk" : "offline";
}

/**
 * Whether the app explains setup problems in full (cause, fix, what it saw): in development, and
 * in any offline build (the offline stack is never production). A production build tells its users
 * only that something is wrong and puts the detail in the browser console.
 */
export function showsSetupDetails(): boolean {
  return process.env.NODE_ENV !== "production" || authMode() === "offline";
}

/** The Convex deployment the browser (and server preloads) talk to. */
export function convexUrl(): string {
  const url = process.env.NEXT_PUBLIC_CONVEX_URL;
  if (!present(url)) {
    throw new EnvError(
      "NEXT_PUBLIC_CONVEX_URL is not set. Set it in .env.local (see .env.example) and rebuild: it is inlined at build time.",
    );
  }
  return url;
}

/**
 * Where the deployment serves HTTP actions (the `/api/v1` API), as `resolveConvexSiteUrl` finds it:
 * `CONVEX_SITE_URL`, else `NEXT_PUBLIC_CONVEX_SITE_URL`, else derived from the client URL. Server
 * side only.
 */
export function convexSiteUrl(): string {
  const site = resolveConvexSiteUrl({
    CONVEX_SITE_URL: process.env.CONVEX_SITE_URL,
    NEXT_PUBLIC_CONVEX_SITE_URL: process.env.NEXT_PUBLIC_CONVEX_SITE_URL,
    NEXT_PUBLIC_CONVEX_URL: convexUrl(),
  });
  if (site === null) {
    throw new EnvError(
      `The HTTP-actions URL cannot be derived from NEXT_PUBLIC_CONVEX_URL (${convexUrl()}: a custom domain or a self-hosted backend). ` +
        "Set CONVEX_SITE_URL in .env.local (Convex dashboard → Settings → URL & Deploy Key → HTTP Actions URL, or your backend's site URL).",
    );
  }
  return site.url;
}

/** The offline identity provider's base URL (offline mode only). */
export function offlineIdpUrl(): string {
  const url = process.env.NEXT_PUBLIC_OFFLINE_IDP_URL;
  return present(url) ? url.replace(/\/+$/, "") : DEFAULT_OFFLINE_IDP_URL;
}
