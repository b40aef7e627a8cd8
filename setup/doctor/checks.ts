/**
 * `npm run doctor`'s checks. Each is a pure function of what the CLI gathered (environment, flags,
 * a sample token, what the offline stack answered), so tests drive them without any network.
 */

import { decodeJwt } from "jose";
import {
  CONVEX_AUDIENCE,
  issuerOfPublishableKey,
  publishableKeyHost,
  sameIssuer,
  summarizeToken,
} from "../token-claims";
import {
  DEFAULT_OFFLINE_CONVEX_URL,
  DEFAULT_OFFLINE_IDP_URL,
  SITE_URL_VARS,
  convexCloudHost,
  describeDeployment,
  devModeProblem,
  resolveConvexSiteUrl,
  resolveDevMode,
  type DeploymentConfig,
} from "../config";

export { DEFAULT_OFFLINE_CONVEX_URL, DEFAULT_OFFLINE_IDP_URL, publishableKeyHost };

export type Finding =
  | { check: string; status: "ok"; message: string }
  | { check: string; status: "problem"; message: string; fix: string }
  | { check: string; status: "unknown"; message: string };

type Env = Record<string, string | undefined>;

/** The demo user the doctor signs in as to get a sample token from the offline identity provider. */
export const OFFLINE_SAMPLE_EMAIL = "alice.johnson@example.com";

const CLERK_KEYS = "Clerk dashboard → API keys, copied into .env.local";
const CONVEX_DEV =
  "run `npx convex dev` and pick your deployment (it writes CONVEX_DEPLOYMENT and NEXT_PUBLIC_CONVEX_URL to .env.local)";
const SELF_HOSTED_DEV =
  "run `npx convex dev` with CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY set (it writes NEXT_PUBLIC_CONVEX_URL and NEXT_PUBLIC_CONVEX_SITE_URL to .env.local)";
const SELF_HOSTED_VARS_FIX =
  "set CONVEX_SELF_HOSTED_URL (your backend's URL, e.g. http://127.0.0.1:3210) and CONVEX_SELF_HOSTED_ADMIN_KEY (from the backend's generate_admin_key.sh) in .env.local";
const DASHBOARD_URLS = "Convex dashboard → Settings → URL & Deploy Key";
const WEBHOOK_PATH = "/webhooks/clerk";
const ISSUER_VAR = "CLERK_JWT_ISSUER_DOMAIN";
const ISSUER_SET = `npx convex env set ${ISSUER_VAR}`;
const WEBHOOK_SECRET_FIX =
  "copy the endpoint's Signing Secret (Clerk dashboard → Webhooks → your endpoint) and run `npx convex env set CLERK_WEBHOOK_SECRET whsec_…`";
const START_OFFLINE = "start it with npm run dev";

/**
 * The rule convex/model/env.ts applies on the deployment (setup/ does not import convex/; a test
 * holds the two equal).
 */
export const WEBHOOK_SECRET_FORMAT = /^whsec_[A-Za-z0-9+/]{16,}={0,2}$/;

const ok = (check: string, message: string): Finding => ({ check, status: "ok", message });
const problem = (check: string, message: string, fix: string): Finding => ({ check, status: "problem", message, fix });
const unknown = (check: string, message: string): Finding => ({ check, status: "unknown", message });

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== "";
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** The mode `npm run dev` picks, by the rule it applies (setup/config.ts `resolveDevMode`). */
export function checkMode(env: Env): Finding {
  const mode = resolveDevMode(env);
  switch (mode.mode) {
    case "offline":
      return ok(
        "mode",
        "offline mode: no Convex deployment or Clerk keys configured, so `npm run dev` runs the offline stack (checked below)",
      );
    case "connected":
      return ok("mode", `connected mode: ${describeDeployment(env, mode.deployment)} with Clerk keys`);
    case "partial": {
      const { message, fix } = devModeProblem(mode);
      return problem("mode", `half a connected configuration: ${message}`, fix);
    }
    case "conflict": {
      const { message, fix } = devModeProblem(mode);
      return problem("mode", `two deployment configurations: ${message}`, fix);
    }
  }
}

export function checkPublishableKey(value: string | undefined): Finding {
  const name = "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY";
  if (!present(value)) return problem(name, `${name} is not set`, `${CLERK_KEYS} as ${name}=pk_test_…`);
  if (!/^pk_(test|live)_/.test(value.trim())) {
    return problem(name, `${name} must start with pk_test_ or pk_live_`, `${CLERK_KEYS} (the Publishable key)`);
  }
  const host = publishableKeyHost(value);
  if (host === null) {
    return problem(
      name,
      `${name} is malformed: after pk_test_/pk_live_ it must be base64 of "<frontend-api-host>$"`,
      `copy the whole Publishable key again from the ${CLERK_KEYS}`,
    );
  }
  return ok(name, `${name}: Clerk instance ${host}`);
}

export function checkSecretKey(value: string | undefined, publishableKey: string | undefined): Finding {
  const name = "CLERK_SECRET_KEY";
  if (!present(value)) return problem(name, `${name} is not set`, `${CLERK_KEYS} as ${name}=sk_test_…`);
  const kind = /^sk_(test|live)_\S+$/.exec(value.trim())?.[1];
  if (kind === undefined) {
    return problem(name, `${name} must be sk_test_… or sk_live_…`, `${CLERK_KEYS} (the Secret key)`);
  }
  const publishableKind = /^pk_(test|live)_/.exec(publishableKey?.trim() ?? "")?.[1];
  if (publishableKind !== undefined && publishableKind !== kind) {
    return problem(
      name,
      `${name} is a ${kind} key but NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY is a ${publishableKind} key`,
      `copy both keys from the same Clerk instance (${CLERK_KEYS})`,
    );
  }
  return ok(name, `${name}: ${kind} key`);
}

/** The deployment name in `CONVEX_DEPLOYMENT` (`dev:happy-animal-123`), or null when it is not that shape. */
export function deploymentName(value: string): { kind: string; name: string } | null {
  const match = /^([a-z]+):([A-Za-z0-9_-]+)$/.exec(value.trim());
  return match?.[1] && match[2] ? { kind: match[1], name: match[2] } : null;
}

export function checkConvexDeployment(value: string | undefined): Finding {
  const name = "CONVEX_DEPLOYMENT";
  if (!present(value)) return problem(name, `${name} is not set`, CONVEX_DEV);
  const parsed = deploymentName(value);
  if (parsed === null) {
    return problem(name, `${name} is malformed (expected "<kind>:<name>", e.g. "dev:happy-animal-123")`, CONVEX_DEV);
  }
  return ok(name, `${name}: ${parsed.kind} deployment ${parsed.name}`);
}

/** The deployment name in a Convex cloud URL (`https://<name>[.<region>].convex.cloud`), or null. */
export function cloudDeploymentName(convexUrl: string | undefined): string | null {
  const url = present(convexUrl) ? parseUrl(convexUrl.trim()) : null;
  const host = url === null ? null : convexCloudHost(url.hostname);
  return host?.service === "cloud" ? host.name : null;
}

/**
 * The client URL for the deployment configuration in use. A cloud deployment's is
 * `https://<name>[.<region>].convex.cloud` or a custom domain (which cannot be checked from here);
 * a self-hosted backend's is any http(s) URL.
 */
export function checkConvexUrl(value: string | undefined, env: Env, config: DeploymentConfig): Finding {
  const name = "NEXT_PUBLIC_CONVEX_URL";
  const writeIt = config === "self-hosted" ? SELF_HOSTED_DEV : CONVEX_DEV;
  if (!present(value)) return problem(name, `${name} is not set`, writeIt);
  const url = parseUrl(value.trim());
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return problem(name, `${name} is not an http(s) URL (got "${value}")`, writeIt);
  }
  const host = convexCloudHost(url.hostname);
  if (host?.service === "site") {
    return problem(
      name,
      `${name} is the HTTP-actions URL (.convex.site); the client needs the .convex.cloud URL`,
      `set ${name}=https://${url.hostname.replace(/\.convex\.site$/i, ".convex.cloud")} in .env.local`,
    );
  }
  if (config === "self-hosted") {
    if (host !== null) {
      return problem(
        name,
        `${name} is a Convex cloud URL, but CONVEX_SELF_HOSTED_URL selects a self-hosted backend: \`npx convex dev\` pushes there while the app talks to ${url.origin}`,
        `${SELF_HOSTED_DEV}; or, for the cloud deployment, remove CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY and ${CONVEX_DEV}`,
      );
    }
    return ok(name, `${name}: ${url.origin} (self-hosted backend)`);
  }
  const parsedDeployment = present(env.CONVEX_DEPLOYMENT) ? deploymentName(env.CONVEX_DEPLOYMENT) : null;
  // A local deployment's URL is whatever port the CLI picked.
  if (parsedDeployment?.kind === "local" || parsedDeployment?.kind === "anonymous")
    return ok(name, `${name}: ${url.origin}`);
  if (host === null) {
    return unknown(
      name,
      `whether ${name} (${url.origin}) serves ${parsedDeployment === null ? "your deployment" : `deployment ${parsedDeployment.name}`}: it is not a <name>.convex.cloud URL, so it should be one of the deployment's custom domains (Convex dashboard → Settings → Custom Domains)`,
    );
  }
  if (url.protocol !== "https:") {
    return problem(
      name,
      `${name} must be an https:// URL (got "${value}")`,
      `set ${name}=https://${url.host} in .env.local`,
    );
  }
  if (parsedDeployment !== null && parsedDeployment.name !== host.name) {
    return problem(
      name,
      `${name} points at deployment ${host.name} but CONVEX_DEPLOYMENT is ${parsedDeployment.name}`,
      `${CONVEX_DEV}; the URL is also under ${DASHBOARD_URLS}`,
    );
  }
  return ok(name, `${name}: ${url.origin}${host.region === null ? "" : ` (region ${host.region})`}`);
}

/** A self-hosted backend (the open-source Convex backend), which the Convex CLI reaches by URL and admin key. */
export function checkSelfHosted(env: Env): Finding[] {
  const name = "CONVEX_SELF_HOSTED_URL";
  const value = env[name];
  const findings: Finding[] = [];
  const url = present(value) ? parseUrl(value.trim()) : null;
  if (!present(value)) findings.push(problem(name, `${name} is not set`, SELF_HOSTED_VARS_FIX));
  else if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    findings.push(problem(name, `${name} must be an http:// or https:// URL (got "${value}")`, SELF_HOSTED_VARS_FIX));
  } else findings.push(ok(name, `${name}: ${url.origin}, where \`npx convex dev\` and \`npx convex env\` go`));
  if (!present(env.CONVEX_SELF_HOSTED_ADMIN_KEY)) {
    findings.push(
      problem("CONVEX_SELF_HOSTED_ADMIN_KEY", "CONVEX_SELF_HOSTED_ADMIN_KEY is not set", SELF_HOSTED_VARS_FIX),
    );
  }
  return findings;
}

/**
 * CONVEX_SITE_URL / NEXT_PUBLIC_CONVEX_SITE_URL, when set: the deployment's HTTP-actions URL, which
 * wins over the one derived from NEXT_PUBLIC_CONVEX_URL (for the /api/v1 proxy and the webhook check).
 */
export function checkSiteUrls(env: Env): Finding[] {
  const clientName = cloudDeploymentName(env.NEXT_PUBLIC_CONVEX_URL);
  const derived =
    clientName === null ? null : resolveConvexSiteUrl({ NEXT_PUBLIC_CONVEX_URL: env.NEXT_PUBLIC_CONVEX_URL });
  return SITE_URL_VARS.flatMap((name) => {
    const value = env[name]?.trim();
    if (!present(value)) return [];
    const url = parseUrl(value);
    const fix =
      derived === null
        ? `set ${name} to the deployment's HTTP Actions URL (${DASHBOARD_URLS}; a self-hosted backend's site URL) in .env.local, or remove it`
        : `set ${name}=${derived.url} in .env.local, or remove it`;
    if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
      return problem(name, `${name} is not an http(s) URL (got "${value}")`, fix);
    }
    const host = convexCloudHost(url.hostname);
    if (host?.service === "cloud") {
      return problem(
        name,
        `${name} is a client URL (.convex.cloud); HTTP actions are served on .convex.site`,
        `set ${name}=${url.protocol}//${url.host.replace(/\.convex\.cloud$/i, ".convex.site")} in .env.local`,
      );
    }
    if (host !== null && clientName !== null && host.name !== clientName) {
      return problem(
        name,
        `${name} is deployment ${host.name}'s HTTP-actions URL, but NEXT_PUBLIC_CONVEX_URL is deployment ${clientName}'s`,
        fix,
      );
    }
    return ok(name, `${name}: ${url.origin}, the deployment's HTTP-actions URL`);
  });
}

/**
 * CLERK_JWT_ISSUER_DOMAIN (as convex/auth.config.ts reads it on the deployment): an https origin
 * with no path, and the Frontend API of the instance the publishable key names. A trailing slash is
 * fine: Convex trims it before comparing the issuer.
 */
export function checkIssuerDomain(value: string | undefined, publishableKey: string | undefined): Finding {
  const name = "CLERK_JWT_ISSUER_DOMAIN";
  const host = present(publishableKey) ? publishableKeyHost(publishableKey) : null;
  const fixValue = `run \`${ISSUER_SET} https://${host ?? "<your-instance>.clerk.accounts.dev"}\` (Clerk dashboard → API keys → Frontend API URL)`;
  if (!present(value)) {
    return unknown(
      name,
      "the deployment's CLERK_JWT_ISSUER_DOMAIN is not readable from here: run `npx convex env list` and pass it with --issuer-domain <url>",
    );
  }
  const url = parseUrl(value.trim());
  if (url === null || url.protocol !== "https:") {
    return problem(name, `${name} must be an https:// URL (got "${value}")`, fixValue);
  }
  if (value.trim().replace(/\/+$/, "") !== url.origin) {
    return problem(
      name,
      `${name} must be the bare origin, with no path (got "${value}"); tokens' iss would not match it`,
      `run \`${ISSUER_SET} ${host === null ? url.origin : `https://${host}`}\``,
    );
  }
  if (host !== null && url.hostname.toLowerCase() !== host) {
    return problem(
      name,
      `${name} is ${url.origin} but the publishable key belongs to https://${host}: Convex would refuse this instance's tokens`,
      fixValue,
    );
  }
  const slash =
    value.trim() === url.origin ? "" : " (given with a trailing slash, which Convex trims before comparing)";
  return ok(
    name,
    `${name}: ${url.origin}${slash}, the issuer convex/auth.config.ts trusts (applicationID "convex"); tokens must carry exactly this iss`,
  );
}

/** `listed`: the deployment's variables were read, so a missing secret is missing on the deployment. */
export function checkWebhookSecret(value: string | undefined, listed = false): Finding {
  const name = "CLERK_WEBHOOK_SECRET";
  if (!present(value) && listed) {
    return problem(
      name,
      `the deployment has no ${name}: its /webhooks/clerk endpoint refuses every Clerk event (500) until it is set`,
      WEBHOOK_SECRET_FIX,
    );
  }
  if (!present(value)) {
    return unknown(
      name,
      "the deployment's CLERK_WEBHOOK_SECRET is not readable from here: run `npx convex env list` and pass it with --webhook-secret <whsec_…>",
    );
  }
  if (!WEBHOOK_SECRET_FORMAT.test(value.trim())) {
    return problem(name, `${name} is malformed (expected "whsec_" followed by base64)`, WEBHOOK_SECRET_FIX);
  }
  return ok(name, `${name}: well-formed signing secret`);
}

/** What convex/auth.config.ts trusts: where its domain comes from and its applicationID. */
export type AuthConfigShape = {
  /** The variable the domain is read from (`process.env.NAME`), or null. */
  domainVar: string | null;
  /** A domain written into the file (`domain: "https://…"`), or null. */
  domainLiteral: string | null;
  applicationID: string | null;
};

export function parseAuthConfig(source: string): AuthConfigShape {
  const domainLiteral = /\bdomain\s*:\s*["'`](https?:\/\/[^"'`\s]+)["'`]/.exec(source)?.[1] ?? null;
  // A literal domain is the one Convex uses, whatever else the file reads from process.env; else the
  // variable assigned to `domain`, else the file's first variable (`const issuer = …; domain: issuer`).
  const domainVar =
    domainLiteral !== null
      ? null
      : (/\bdomain\s*[:=]\s*process\.env\.([A-Z0-9_]+)/.exec(source)?.[1] ??
        /process\.env\.([A-Z0-9_]+)/.exec(source)?.[1] ??
        null);
  return {
    domainVar,
    domainLiteral,
    applicationID: /applicationID:\s*["'`]([^"'`]+)["'`]/.exec(source)?.[1] ?? null,
  };
}

/** Whether Convex trusts the issuer in CLERK_JWT_ISSUER_DOMAIN (assumed when the file says nothing else). */
export function trustsIssuerDomain(source: string | null): boolean {
  const shape = source === null ? null : parseAuthConfig(source);
  return shape === null || (shape.domainLiteral === null && (shape.domainVar ?? ISSUER_VAR) === ISSUER_VAR);
}

/** What convex/auth.config.ts is checked against: the offline stack, or the deployment and the keys. */
export type AuthConfigContext =
  | { mode: "offline"; idp: string }
  | {
      mode: "connected";
      /** The issuer the app's tokens carry: the publishable key's instance, or null when the key names none. */
      issuer: string | null;
      /** The deployment's CLERK_JWT_ISSUER_DOMAIN as the other checks see it (flag, listing or local env). */
      issuerDomain: string | null;
      /** The deployment's variables as `npx convex env list` printed them, or null when not read. */
      deploymentEnv: Record<string, string> | null;
    };

const READ_ISSUER_DOMAIN = `read it with \`domain: process.env.${ISSUER_VAR}\` in convex/auth.config.ts`;
const PUSH = "push it (`npx convex dev`, or `npx convex deploy` for production)";

/**
 * convex/auth.config.ts against what will be checked with it. Convex matches a token to a provider
 * by `iss` = `domain` and `aud` = `applicationID`; every token of this app carries aud "convex"
 * (Clerk's Convex integration and the `convex` JWT template, which ConvexProviderWithClerk asks for)
 * and, connected, the iss of the publishable key's instance; offline, the identity provider's URL,
 * which the offline stack puts in CLERK_JWT_ISSUER_DOMAIN on its own Convex server and nowhere else.
 */
export function checkAuthConfig(source: string | null, context: AuthConfigContext): Finding[] {
  const check = "auth.config";
  if (source === null) return [unknown(check, "convex/auth.config.ts could not be read")];
  const shape = parseAuthConfig(source);
  const offline = context.mode === "offline";
  const findings: Finding[] = [];
  if (shape.applicationID !== CONVEX_AUDIENCE) {
    const has = shape.applicationID === null ? "has no applicationID" : `has applicationID "${shape.applicationID}"`;
    findings.push(
      offline
        ? problem(
            check,
            `convex/auth.config.ts ${has}, but the offline identity provider's tokens carry aud "convex": the offline Convex server refuses every token`,
            'set `applicationID: "convex"` in convex/auth.config.ts and restart npm run dev',
          )
        : problem(
            check,
            `convex/auth.config.ts ${has}, but the app's tokens carry aud "convex" (Clerk's Convex integration and the \`convex\` JWT template, which ConvexProviderWithClerk asks for): Convex would refuse every token`,
            `set \`applicationID: "convex"\` in convex/auth.config.ts and ${PUSH}`,
          ),
    );
  }
  findings.push(offline ? offlineDomain(shape, context.idp) : connectedDomain(shape, context));
  return findings;
}

function offlineDomain(shape: AuthConfigShape, idp: string): Finding {
  const check = "auth.config";
  const restart = `${READ_ISSUER_DOMAIN} and restart npm run dev`;
  if (shape.domainLiteral !== null) {
    if (sameIssuer(shape.domainLiteral, idp)) {
      return ok(check, `convex/auth.config.ts hard-codes the offline identity provider, ${idp}, as its issuer`);
    }
    return problem(
      check,
      `convex/auth.config.ts hard-codes domain "${shape.domainLiteral}", but offline the issuer is the identity provider, ${idp}: the offline Convex server refuses every token`,
      restart,
    );
  }
  if (shape.domainVar === null) return noDomain();
  if (shape.domainVar !== ISSUER_VAR) {
    return problem(
      check,
      `convex/auth.config.ts reads its domain from ${shape.domainVar}, but the offline stack sets only ${ISSUER_VAR} (to the identity provider, ${idp}) on its Convex server: the offline Convex server refuses every token`,
      restart,
    );
  }
  return ok(
    check,
    `convex/auth.config.ts trusts the issuer in ${ISSUER_VAR}, which the offline stack sets to the identity provider, ${idp}`,
  );
}

function connectedDomain(shape: AuthConfigShape, context: Extract<AuthConfigContext, { mode: "connected" }>): Finding {
  const check = "auth.config";
  const { issuer } = context;
  const noKey = "no valid NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY to compare it with";
  if (shape.domainLiteral !== null) {
    if (issuer === null) {
      return unknown(
        check,
        `whether convex/auth.config.ts's hard-coded domain ${shape.domainLiteral} is yours: ${noKey}`,
      );
    }
    if (!sameIssuer(shape.domainLiteral, issuer)) {
      return problem(
        check,
        `convex/auth.config.ts hard-codes domain "${shape.domainLiteral}", but the publishable key belongs to ${issuer}: Convex would trust another Clerk instance and refuse this one's tokens`,
        `${READ_ISSUER_DOMAIN}, run \`${ISSUER_SET} ${issuer}\`, and ${PUSH}`,
      );
    }
    return ok(check, `convex/auth.config.ts hard-codes the issuer ${issuer}, the publishable key's instance`);
  }
  const name = shape.domainVar;
  if (name === null) return noDomain();
  // CLERK_JWT_ISSUER_DOMAIN's value is checkIssuerDomain's; only whether the deployment has it is here.
  const value = name === ISSUER_VAR ? (context.issuerDomain ?? undefined) : context.deploymentEnv?.[name];
  if (context.deploymentEnv !== null && !present(value)) {
    return problem(
      check,
      `convex/auth.config.ts reads its domain from ${name}, which the deployment does not have: pushing convex/auth.config.ts fails, and no token is accepted`,
      `run \`npx convex env set ${name} ${issuer ?? "https://<your-frontend-api>"}\`${issuer === null ? " (Clerk dashboard → API keys → Frontend API URL)" : ""}`,
    );
  }
  if (name === ISSUER_VAR) {
    return ok(check, `convex/auth.config.ts trusts the issuer in the deployment's ${ISSUER_VAR} for audience "convex"`);
  }
  if (!present(value)) {
    return unknown(
      check,
      `the deployment's ${name}, which convex/auth.config.ts reads its domain from: run \`npx convex env list\` and compare it with ${issuer ?? "your Clerk Frontend API URL"}`,
    );
  }
  if (issuer === null)
    return unknown(check, `whether the deployment's ${name} (${value}) is your Clerk instance: ${noKey}`);
  if (!sameIssuer(value, issuer)) {
    return problem(
      check,
      `convex/auth.config.ts trusts the issuer in ${name}, which is ${value} on the deployment, but the publishable key belongs to ${issuer}: Convex would trust another Clerk instance and refuse this one's tokens`,
      `run \`npx convex env set ${name} ${issuer}\``,
    );
  }
  return ok(
    check,
    `convex/auth.config.ts trusts the issuer in the deployment's ${name}, ${issuer}, the publishable key's instance`,
  );
}

function noDomain(): Finding {
  return unknown(
    "auth.config",
    'what convex/auth.config.ts trusts: its domain is neither process.env.<NAME> nor an "https://…" literal',
  );
}

/**
 * How the app gets its Convex token from Clerk, decided as ConvexProviderWithClerk and
 * lib/auth/clerk-server.ts decide it: the session token itself when the instance has Clerk's Convex
 * integration (its session tokens carry aud "convex"), else a token from the `convex` JWT template.
 */
export const TOKEN_PATHS = {
  integration: { name: "Clerk's Convex integration", getToken: "getToken()" },
  template: { name: "the `convex` JWT template", getToken: 'getToken({ template: "convex" })' },
} as const;
export type TokenPath = keyof typeof TOKEN_PATHS;

const inConsole = (path: TokenPath) => `\`await window.Clerk.session.${TOKEN_PATHS[path].getToken}\``;
const TELL_PATHS = '`window.Clerk.session.lastActiveToken?.jwt?.claims.aud` is "convex" only with the integration';

/** What to run for a sample token: the call for the path in use, or both and how to tell them apart. */
export function sampleTokenHint(path: TokenPath | null = null): string {
  const where = "in the signed-in app's browser console";
  if (path !== null) {
    return `pass one with --token <jwt> (${where}: ${inConsole(path)}, as your instance uses ${TOKEN_PATHS[path].name})`;
  }
  return (
    `pass one with --token <jwt> (${where}: ${inConsole("integration")} with ${TOKEN_PATHS.integration.name}, ` +
    `${inConsole("template")} with ${TOKEN_PATHS.template.name}; to tell which your instance uses: ${TELL_PATHS})`
  );
}

/**
 * Whether a Clerk token is a session token (it carries the session id, `sid`) or a JWT template's
 * (only Clerk's default claims, azp exp iat iss jti nbf sub, and the template's); null if not a JWT.
 */
function clerkTokenKind(jwt: string): "session" | "template" | null {
  try {
    return typeof decodeJwt(jwt.trim()).sid === "string" ? "session" : "template";
  } catch {
    return null;
  }
}

/**
 * A sample token against what Convex will check: `iss` equal to the trusted issuer, `aud`
 * containing "convex", and organization claims this app reads (convex/model/claims.ts). `clerk`:
 * the token comes from Clerk (connected mode), so which of the two token paths it took is told.
 */
export function checkToken(
  jwt: string,
  expected: { issuer: string | null; nowSeconds: number; clerk?: boolean },
): Finding[] {
  const check = "token";
  const summary = summarizeToken(jwt);
  if (summary === null) {
    return [
      problem(check, "the sample token is not a JWT", "pass the token itself (three base64url parts) with --token"),
    ];
  }
  const { iss, audiences, orgId, exp } = summary;
  const kind = expected.clerk ? clerkTokenKind(jwt) : null;
  const findings: Finding[] = [];
  if (expected.issuer === null) {
    findings.push(
      unknown(
        check,
        `the token's iss (${iss ?? "none"}): no expected issuer is known (no issuer domain or publishable key)`,
      ),
    );
  } else if (iss === null || !sameIssuer(iss, expected.issuer)) {
    findings.push(
      problem(
        check,
        `the token's iss is ${iss ?? "missing"}, not ${expected.issuer}: Convex will say 'No auth provider found matching the given token'`,
        `make CLERK_JWT_ISSUER_DOMAIN the issuer of your tokens: \`${ISSUER_SET} ${iss ?? "https://<your-instance>.clerk.accounts.dev"}\`, or take the token from the instance your keys belong to`,
      ),
    );
  }
  if (!audiences.includes(CONVEX_AUDIENCE) && kind === "session") {
    // Without the integration the app never sends the session token: this one says nothing about it.
    findings.push(
      unknown(
        check,
        `the sample token is a Clerk session token without aud "convex", so not the token the app sends: without ${TOKEN_PATHS.integration.name} the app asks for ${TOKEN_PATHS.template.name}. ` +
          `${sampleTokenHint("template")}; if that throws "No JWT template exists with name: convex", create the template (Clerk dashboard → JWT templates → New → Convex) or activate the integration (Clerk dashboard → Integrations → Convex)`,
      ),
    );
    return findings;
  }
  if (!audiences.includes(CONVEX_AUDIENCE)) {
    const aud = audiences.length === 0 ? "missing" : JSON.stringify(audiences.length === 1 ? audiences[0] : audiences);
    findings.push(
      problem(
        check,
        `the token's aud is ${aud}, not "convex": Convex will refuse it (auth.config applicationID "convex")`,
        `put "aud": "convex" in the \`convex\` JWT template (Clerk dashboard → JWT templates → New → Convex; the app then asks for ${TOKEN_PATHS.template.getToken}), ` +
          `or activate Clerk's Convex integration (Clerk dashboard → Integrations → Convex; the app then sends the session token, ${TOKEN_PATHS.integration.getToken})`,
      ),
    );
  }
  if (orgId === null) {
    findings.push(
      problem(
        check,
        'the token has no organization claims (o.id, "o.id" or org_id): every organization function will refuse this user',
        "enable Organizations (Clerk dashboard → Organizations → Settings), make membership required, select an organization after sign-in, or add org_id/org_role/org_slug/org_permissions claims to the convex JWT template",
      ),
    );
  }
  const expiredAt = exp !== null && exp <= expected.nowSeconds ? new Date(exp * 1000).toISOString() : null;
  if (findings.length === 0) {
    const used = TOKEN_PATHS[kind === "session" ? "integration" : "template"];
    const path = kind === null ? "" : ` (${used.name}: the app's ${used.getToken})`;
    const note =
      expiredAt === null
        ? ""
        : ` (note: it expired at ${expiredAt}; fine for this check, but Convex needs a fresh one)`;
    findings.push(ok(check, `sample token: iss ${iss}, aud convex${path}, organization ${orgId}${note}`));
  } else if (expiredAt !== null) {
    findings.push(ok(check, `note: the sample token expired at ${expiredAt}`));
  }
  return findings;
}

/** The deployment names this configuration points at: the client URL's and CONVEX_DEPLOYMENT's (cloud kinds). */
function deploymentNames(env: Env): string[] {
  const fromDeployment = present(env.CONVEX_DEPLOYMENT) ? deploymentName(env.CONVEX_DEPLOYMENT) : null;
  const names = [
    cloudDeploymentName(env.NEXT_PUBLIC_CONVEX_URL),
    fromDeployment !== null && ["dev", "prod", "preview"].includes(fromDeployment.kind) ? fromDeployment.name : null,
  ];
  return [...new Set(names.filter((name): name is string => name !== null))];
}

/**
 * The Clerk webhook endpoint must be the deployment's HTTP-actions URL plus /webhooks/clerk. That
 * URL is CONVEX_SITE_URL / NEXT_PUBLIC_CONVEX_SITE_URL, or derived from a Convex cloud client URL
 * (whose `.convex.site` twin keeps working beside a custom domain); a custom domain or a
 * self-hosted backend without either cannot be checked, and is not guessed.
 */
export function checkWebhookUrl(value: string, env: Env): Finding {
  const check = "webhook URL";
  // A port guess (local and self-hosted backends) is not good enough to tell anyone to move an endpoint.
  const sites = [
    resolveConvexSiteUrl(env),
    resolveConvexSiteUrl({ NEXT_PUBLIC_CONVEX_URL: env.NEXT_PUBLIC_CONVEX_URL }),
  ]
    .flatMap((site) => (site === null || site.source === "next port" ? [] : [parseUrl(site.url)]))
    .filter((site): site is URL => site !== null);
  const expected = sites[0] === undefined ? null : `${sites[0].origin}${WEBHOOK_PATH}`;
  const names = deploymentNames(env);
  const setTo = (target: string) =>
    `set the endpoint URL to ${target} (Clerk dashboard → Webhooks → your endpoint → Edit)`;
  const anywhere = `your deployment's HTTP Actions URL (${DASHBOARD_URLS}) followed by ${WEBHOOK_PATH}`;
  const url = parseUrl(value.trim());
  if (url === null) return problem(check, `the webhook URL is not a URL (got "${value}")`, setTo(expected ?? anywhere));
  const host = convexCloudHost(url.hostname);
  if (host?.service === "cloud") {
    // Never served HTTP actions, so its .convex.site twin is the one guess that cannot break anything.
    const twin = `https://${url.hostname.replace(/\.convex\.cloud$/i, ".convex.site")}${WEBHOOK_PATH}`;
    return problem(
      check,
      "the webhook URL is on .convex.cloud; HTTP actions are served on .convex.site",
      setTo(expected ?? twin),
    );
  }
  if (sites.some((site) => site.origin === url.origin)) {
    if (url.pathname !== WEBHOOK_PATH) {
      return problem(
        check,
        `the webhook URL's path is ${url.pathname}, not ${WEBHOOK_PATH}`,
        setTo(`${url.origin}${WEBHOOK_PATH}`),
      );
    }
    return ok(check, `webhook URL: ${url.href}`);
  }
  if (host?.service === "site") {
    const here = `https://${url.host}${WEBHOOK_PATH}`;
    if (names.length > 0 && !names.includes(host.name)) {
      const ours = sites.find((site) => convexCloudHost(site.hostname) !== null)?.hostname ?? names.join(" / ");
      return problem(
        check,
        `the webhook URL points at ${url.hostname}, not this deployment's ${ours}`,
        setTo(expected ?? anywhere),
      );
    }
    if (url.protocol !== "https:") {
      return problem(check, `the webhook URL must use https (got "${value}")`, setTo(here));
    }
    if (url.pathname !== WEBHOOK_PATH) {
      return problem(check, `the webhook URL's path is ${url.pathname}, not ${WEBHOOK_PATH}`, setTo(here));
    }
    if (names.length === 0) {
      return unknown(
        check,
        `which deployment ${url.hostname} belongs to: neither NEXT_PUBLIC_CONVEX_URL nor CONVEX_DEPLOYMENT names a Convex cloud deployment`,
      );
    }
    if (expected !== null) {
      // This deployment, spelled with another region part than its URL: maybe an alias, maybe nothing.
      return unknown(
        check,
        `whether ${url.hostname} reaches deployment ${host.name}, whose HTTP-actions URL is ${sites[0]?.origin}: if Clerk's deliveries fail, use ${expected}`,
      );
    }
    return ok(check, `webhook URL: ${url.href} (deployment ${host.name})`);
  }
  // A custom domain, a proxy or a self-hosted backend: only the site URL can tell.
  const path = url.pathname === WEBHOOK_PATH ? "" : ` (its path is ${url.pathname}; this app serves ${WEBHOOK_PATH})`;
  if (expected === null) {
    return unknown(
      check,
      `where ${url.origin} leads${path}: the HTTP-actions URL cannot be derived from NEXT_PUBLIC_CONVEX_URL (a custom domain or a self-hosted backend); set NEXT_PUBLIC_CONVEX_SITE_URL in .env.local to have it checked`,
    );
  }
  return unknown(
    check,
    `whether ${url.origin} leads to ${sites[0]?.origin}${path}: fine if it is a custom domain or proxy for the deployment's HTTP actions; otherwise use ${expected}`,
  );
}

/** What a GET to one of the offline services answered: its JSON body, or why it could not. */
export type Probe = { ok: true; body: unknown } | { ok: false; why: string };

export function checkOfflineConvex(url: string, probe: Probe): Finding {
  const check = "offline Convex";
  if (!probe.ok) return unknown(check, `the offline Convex server at ${url}: ${probe.why} (${START_OFFLINE})`);
  return ok(check, `offline Convex server answers at ${url}`);
}

export function checkOfflineIdp(url: string, probe: Probe): Finding {
  const check = "offline identity provider";
  if (!probe.ok) {
    return unknown(check, `the offline identity provider at ${url}: ${probe.why} (${START_OFFLINE})`);
  }
  const issuer = (probe.body as { issuer?: unknown } | null)?.issuer;
  if (issuer !== url) {
    return problem(
      check,
      `the identity provider at ${url} says its issuer is ${String(issuer)}: the offline Convex server would refuse its tokens`,
      `set NEXT_PUBLIC_OFFLINE_IDP_URL to ${String(issuer)} in .env.local, or restart with npm run dev`,
    );
  }
  return ok(check, `offline identity provider answers at ${url} (issuer ${url})`);
}

/**
 * The offline identity provider's `/token-settings`: anything but normal means it issues
 * misconfigured tokens on purpose (a wrong `aud`, no organization claims), and the app shows why.
 */
export function checkOfflineTokenSettings(url: string, probe: Probe): Finding {
  const check = "offline token settings";
  if (!probe.ok) return unknown(check, `the identity provider's token settings at ${url}: ${probe.why}`);
  type Values = { audience?: unknown; organization_claims?: unknown };
  const body = probe.body as { default?: Values; users?: Record<string, Values> } | null;
  const describe = (values: Values | undefined): string[] => [
    ...(values?.audience !== undefined && values.audience !== CONVEX_AUDIENCE
      ? [`aud ${JSON.stringify(values.audience)}`]
      : []),
    ...(values?.organization_claims === false ? ["no organization claims"] : []),
  ];
  const changed = [
    ...describe(body?.default).map((what) => `everyone's tokens: ${what}`),
    ...Object.entries(body?.users ?? {}).flatMap(([user, values]) =>
      describe(values).map((what) => `${user}'s tokens: ${what}`),
    ),
  ];
  if (changed.length === 0) return ok(check, "the offline identity provider issues normal tokens");
  return problem(
    check,
    `the offline identity provider was told to issue misconfigured tokens (${changed.join("; ")}): Convex refuses them, or they name no organization`,
    `run \`curl -X DELETE ${url}/token-settings\`, or restart npm run dev`,
  );
}

export type DoctorInputs = {
  /** The Next.js environment (.env.local and the shell). */
  env: Env;
  /**
   * The deployment's CLERK_JWT_ISSUER_DOMAIN and CLERK_WEBHOOK_SECRET: from the flags, else from
   * `deploymentEnv`, else (only when the deployment was not read) from `env`; null when unknown.
   */
  issuerDomain: string | null;
  webhookSecret: string | null;
  /** Every variable `npx convex env list` printed for the deployment, or null when it was not read. */
  deploymentEnv: Record<string, string> | null;
  /** Why the deployment's variables could not be read, when reading them was tried and failed. */
  deploymentEnvError: string | null;
  webhookUrl: string | null;
  /** The sample token: given with --token, minted offline, or why there is none. */
  token: { jwt: string } | { why: string };
  /** Offline stack probes (offline mode only); `tokenSettings` is the identity provider's /token-settings. */
  offline: { convex: Probe; idp: Probe; tokenSettings?: Probe } | null;
  /** convex/auth.config.ts, or null when it could not be read. */
  authConfig: string | null;
  nowSeconds: number;
};

export function offlineIdpUrl(env: Env): string {
  const url = env.NEXT_PUBLIC_OFFLINE_IDP_URL;
  return present(url) ? url.trim().replace(/\/+$/, "") : DEFAULT_OFFLINE_IDP_URL;
}

/** Every check, in the order printed. */
export function diagnose(inputs: DoctorInputs): Finding[] {
  const { env } = inputs;
  const mode = resolveDevMode(env);
  const findings: Finding[] = [checkMode(env)];
  if (inputs.deploymentEnvError !== null) {
    findings.push(
      unknown(
        "deployment",
        `the deployment's variables: ${inputs.deploymentEnvError} (run \`npx convex env list\` yourself and pass --issuer-domain / --webhook-secret)`,
      ),
    );
  } else if (inputs.deploymentEnv !== null) {
    const names = Object.keys(inputs.deploymentEnv);
    findings.push(
      ok(
        "deployment",
        `the deployment's variables, read with \`npx convex env list\`: ${names.length === 0 ? "none set" : names.join(", ")}`,
      ),
    );
  }
  let expectedIssuer: string | null;

  if (mode.mode === "offline") {
    const idp = offlineIdpUrl(env);
    expectedIssuer = idp;
    findings.push(...checkAuthConfig(inputs.authConfig, { mode: "offline", idp }));
    if (inputs.offline !== null) {
      findings.push(checkOfflineConvex(DEFAULT_OFFLINE_CONVEX_URL, inputs.offline.convex));
      findings.push(checkOfflineIdp(idp, inputs.offline.idp));
      if (inputs.offline.idp.ok && inputs.offline.tokenSettings !== undefined) {
        findings.push(checkOfflineTokenSettings(idp, inputs.offline.tokenSettings));
      }
    }
    if (inputs.issuerDomain !== null && inputs.issuerDomain.replace(/\/+$/, "") !== idp) {
      findings.push(
        problem(
          "CLERK_JWT_ISSUER_DOMAIN",
          `CLERK_JWT_ISSUER_DOMAIN is ${inputs.issuerDomain}, but offline the trusted issuer is the identity provider, ${idp}`,
          "unset it in the shell/.env.local (the offline stack sets it on its own Convex server), or fill in .env.local for connected mode",
        ),
      );
    }
    if (inputs.webhookUrl !== null) {
      findings.push(
        unknown("webhook URL", "offline, the local identity provider posts webhooks to the offline server itself"),
      );
    }
  } else {
    const publishable = env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY;
    const keyIssuer = present(publishable) ? issuerOfPublishableKey(publishable) : null;
    findings.push(
      ...checkAuthConfig(inputs.authConfig, {
        mode: "connected",
        issuer: keyIssuer,
        issuerDomain: inputs.issuerDomain,
        deploymentEnv: inputs.deploymentEnv,
      }),
    );
    // Two deployment configurations at once: checkMode says so, and nothing here can tell which is meant.
    if (mode.mode !== "conflict") {
      if (mode.deployment === "self-hosted") findings.push(...checkSelfHosted(env));
      else findings.push(checkConvexDeployment(env.CONVEX_DEPLOYMENT));
      findings.push(checkConvexUrl(env.NEXT_PUBLIC_CONVEX_URL, env, mode.deployment));
    }
    findings.push(...checkSiteUrls(env));
    findings.push(checkPublishableKey(publishable));
    findings.push(checkSecretKey(env.CLERK_SECRET_KEY, publishable));
    // CLERK_JWT_ISSUER_DOMAIN only matters when auth.config.ts trusts it; when the deployment was
    // read and has none, checkAuthConfig already says so.
    const trusted = trustsIssuerDomain(inputs.authConfig);
    if (trusted && (inputs.issuerDomain !== null || inputs.deploymentEnv === null)) {
      findings.push(checkIssuerDomain(inputs.issuerDomain ?? undefined, publishable));
    }
    findings.push(checkWebhookSecret(inputs.webhookSecret ?? undefined, inputs.deploymentEnv !== null));
    if (inputs.webhookUrl !== null) findings.push(checkWebhookUrl(inputs.webhookUrl, env));
    // Tokens must carry the issuer Convex trusts: the deployment's CLERK_JWT_ISSUER_DOMAIN when
    // auth.config.ts reads it, else the publishable key's (checkAuthConfig compares the two).
    const given = inputs.issuerDomain?.trim();
    expectedIssuer = trusted && present(given) ? given : keyIssuer;
  }

  if ("jwt" in inputs.token) {
    findings.push(
      ...checkToken(inputs.token.jwt, {
        issuer: expectedIssuer,
        nowSeconds: inputs.nowSeconds,
        clerk: mode.mode !== "offline",
      }),
    );
  } else {
    findings.push(unknown("token", `sample token: ${inputs.token.why}`));
  }
  return findings;
}

export function render(findings: Finding[]): string[] {
  const lines = findings.map((finding) => {
    if (finding.status === "ok") return `✓ ${finding.message}`;
    if (finding.status === "problem") return `✗ ${finding.message} — fix: ${finding.fix}`;
    return `? could not check: ${finding.message}`;
  });
  const problems = findings.filter((finding) => finding.status === "problem").length;
  const unchecked = findings.filter((finding) => finding.status === "unknown").length;
  lines.push(
    `${problems === 0 ? "No problems found" : `${problems} problem${problems === 1 ? "" : "s"} found`}` +
      `, ${unchecked} thing${unchecked === 1 ? "" : "s"} not checked.`,
  );
  return lines;
}

export function exitCode(findings: Finding[]): number {
  return findings.some((finding) => finding.status === "problem") ? 1 : 0;
}
