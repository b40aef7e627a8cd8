/**
 * The export service's configuration, read from the environment in one place. With no Clerk
 * variable set it runs offline, against the offline stack's identity provider and backend on their
 * default ports; with any of them set it is connected and every variable it needs must be given.
 * Problems are reported together, each naming its variable.
 */

/** The offline stack's defaults (`npm run dev` with nothing configured); test/config.test.ts checks them against the stack's own. */
export const OFFLINE_DEFAULTS = {
  /** The local identity provider (packages/clerk-local): the tokens' `iss`, and its JWKS below it. */
  issuer: "http://127.0.0.1:3212",
  /** The local Convex backend's site URL, where `/api/v1` is served. */
  siteUrl: "http://127.0.0.1:3211",
  /** The Next.js app in development: the `azp` of the tokens it gets for its pages. */
  authorizedParties: ["http://localhost:3000", "http://127.0.0.1:3000"],
} as const;

export const DEFAULT_PORT = 3213;
export const DEFAULT_HOST = "127.0.0.1";

/** Where the public key that verifies tokens comes from. */
export type KeySource = { kind: "pem"; pem: string } | { kind: "jwks"; url: string };

export type ExportServiceConfig = {
  mode: "offline" | "connected";
  /** The Clerk instance's Frontend API URL: tokens must carry exactly this `iss`. */
  issuer: string;
  key: KeySource;
  /** Origins allowed as the token's `azp` (and as CORS origins). */
  authorizedParties: string[];
  /** The deployment's HTTP API, `<site URL>/api/v1`. */
  apiUrl: string;
  port: number;
  host: string;
};

/** The variables the service reads, with where each is set. */
export const VARIABLES = {
  CLERK_JWT_ISSUER_DOMAIN: "Clerk's Frontend API URL (the same value as the Convex deployment's variable)",
  CLERK_JWT_KEY: "Clerk dashboard → API keys → JWT public key → PEM (networkless verification)",
  CLERK_JWKS_URL: "a JWKS URL instead of the PEM key; default <CLERK_JWT_ISSUER_DOMAIN>/.well-known/jwks.json",
  EXPORT_AUTHORIZED_PARTIES: "comma-separated origins of the apps whose tokens are accepted (their `azp`)",
  CONVEX_SITE_URL: "the deployment's HTTP actions URL, https://<deployment>.convex.site",
  EXPORT_PORT: `the port to listen on; default ${DEFAULT_PORT}`,
  EXPORT_HOST: `the address to listen on; default ${DEFAULT_HOST} (0.0.0.0 in a container)`,
} as const;

type Variable = keyof typeof VARIABLES;
type Env = Partial<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`The export service is not configured:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function httpUrl(value: string): URL | null {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

export function readConfig(env: Env = process.env): ExportServiceConfig {
  const problems: string[] = [];
  const get = (name: Variable) => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const missing = (name: Variable) => problems.push(`${name} is not set: ${VARIABLES[name]}.`);
  const connected = ["CLERK_JWT_ISSUER_DOMAIN", "CLERK_JWT_KEY", "CLERK_JWKS_URL"].some(
    (name) => get(name as Variable) !== undefined,
  );
  if (!connected && env.NODE_ENV === "production") {
    problems.push(
      "No Clerk variable is set, and offline defaults are refused when NODE_ENV=production: set " +
        "CLERK_JWT_ISSUER_DOMAIN, EXPORT_AUTHORIZED_PARTIES and CONVEX_SITE_URL (see docs/going-live.md).",
    );
  }

  let issuer: string = OFFLINE_DEFAULTS.issuer;
  if (connected) {
    const value = get("CLERK_JWT_ISSUER_DOMAIN");
    if (value === undefined) missing("CLERK_JWT_ISSUER_DOMAIN");
    else if (httpUrl(value) === null) problems.push(`CLERK_JWT_ISSUER_DOMAIN is not an http(s) URL: ${value}`);
    else issuer = withoutTrailingSlash(value);
  }

  // A PEM in an env file often has its line breaks written as `\n`.
  const pem = get("CLERK_JWT_KEY")?.replace(/\\n/g, "\n");
  const jwksUrl = get("CLERK_JWKS_URL");
  let key: KeySource = { kind: "jwks", url: `${issuer}/.well-known/jwks.json` };
  if (pem !== undefined && jwksUrl !== undefined) {
    problems.push("Set CLERK_JWT_KEY or CLERK_JWKS_URL, not both.");
  } else if (pem !== undefined) {
    if (!pem.includes("-----BEGIN PUBLIC KEY-----")) {
      problems.push("CLERK_JWT_KEY is not a PEM public key (-----BEGIN PUBLIC KEY----- …).");
    }
    key = { kind: "pem", pem };
  } else if (jwksUrl !== undefined) {
    if (httpUrl(jwksUrl) === null) problems.push(`CLERK_JWKS_URL is not an http(s) URL: ${jwksUrl}`);
    key = { kind: "jwks", url: jwksUrl };
  }

  let authorizedParties: string[] = [...OFFLINE_DEFAULTS.authorizedParties];
  const parties = get("EXPORT_AUTHORIZED_PARTIES");
  if (parties !== undefined) {
    authorizedParties = parties
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== "");
    for (const entry of authorizedParties) {
      if (httpUrl(entry)?.origin !== entry) {
        problems.push(`EXPORT_AUTHORIZED_PARTIES: "${entry}" is not an origin (scheme://host[:port], no path).`);
      }
    }
    if (authorizedParties.length === 0) missing("EXPORT_AUTHORIZED_PARTIES");
  } else if (connected) {
    missing("EXPORT_AUTHORIZED_PARTIES");
  }

  let siteUrl: string = OFFLINE_DEFAULTS.siteUrl;
  const site = get("CONVEX_SITE_URL");
  if (site !== undefined) {
    if (httpUrl(site) === null) problems.push(`CONVEX_SITE_URL is not an http(s) URL: ${site}`);
    else siteUrl = withoutTrailingSlash(site);
  } else if (connected) {
    missing("CONVEX_SITE_URL");
  }

  const portText = get("EXPORT_PORT");
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    problems.push(`EXPORT_PORT is not a port number: ${portText}`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    mode: connected ? "connected" : "offline",
    issuer,
    key,
    authorizedParties,
    apiUrl: `${siteUrl}/api/v1`,
    port,
    host: get("EXPORT_HOST") ?? DEFAULT_HOST,
  };
}
