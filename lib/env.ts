/**
 * The one module that reads the Next.js app's environment (create-t3-app style, by hand).
 *
 * `next.config.ts` calls `validateEnv()` when the build (or dev server) starts, so a missing or
 * malformed variable stops it with a message naming the variable and where to set it. The app reads
 * its public values through the getters below; Next.js inlines each `process.env.NEXT_PUBLIC_*`
 * at build time, which is why every read is spelled out literally.
 */

export type AuthMode = "clerk" | "offline";

export const DEFAULT_OFFLINE_IDP_URL = "http://127.0.0.1:3212";
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
        "`npx convex dev` writes it to .env.local; or set it to your deployment's https://<name>.convex.cloud URL.",
    );
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
 * Where the deployment serves HTTP actions (the `/api/v1` API): `CONVEX_SITE_URL` when set, else
 * derived from the client URL as Convex names them (`<name>.convex.cloud` → `<name>.convex.site`;
 * a local backend serves them on the next port, as the offline stack does). Server side only.
 */
export function convexSiteUrl(): string {
  const explicit = process.env.CONVEX_SITE_URL;
  if (present(explicit)) return explicit.replace(/\/+$/, "");
  const url = new URL(convexUrl());
  if (url.hostname.endsWith(".convex.cloud")) {
    url.hostname = url.hostname.replace(/\.convex\.cloud$/, ".convex.site");
  } else if (url.port !== "") {
    url.port = String(Number(url.port) + 1);
  }
  return url.origin;
}

/** The offline identity provider's base URL (offline mode only). */
export function offlineIdpUrl(): string {
  const url = process.env.NEXT_PUBLIC_OFFLINE_IDP_URL;
  return present(url) ? url.replace(/\/+$/, "") : DEFAULT_OFFLINE_IDP_URL;
}
