/**
 * `npm run doctor`'s checks. Each is a pure function of what the CLI gathered (environment, flags,
 * a sample token, what the offline stack answered), so tests drive them without any network.
 */

import {
  CONVEX_AUDIENCE,
  issuerOfPublishableKey,
  publishableKeyHost,
  sameIssuer,
  summarizeToken,
} from "../lib/auth/token-claims";

export { publishableKeyHost };

export type Finding =
  | { check: string; status: "ok"; message: string }
  | { check: string; status: "problem"; message: string; fix: string }
  | { check: string; status: "unknown"; message: string };

type Env = Record<string, string | undefined>;

export const DEFAULT_OFFLINE_IDP_URL = "http://127.0.0.1:3212";
export const DEFAULT_OFFLINE_CONVEX_URL = "http://127.0.0.1:3210";
/** The demo user the doctor signs in as to get a sample token from the offline identity provider. */
export const OFFLINE_SAMPLE_EMAIL = "alice.johnson@example.com";

/** The variables `npm run dev` needs for connected mode (scripts/dev.mjs). */
export const CONNECTED_VARS = [
  "CONVEX_DEPLOYMENT",
  "NEXT_PUBLIC_CONVEX_URL",
  "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
  "CLERK_SECRET_KEY",
] as const;

const CLERK_KEYS = "Clerk dashboard → API keys, copied into .env.local";
const CONVEX_DEV =
  "run `npx convex dev` and pick your deployment (it writes CONVEX_DEPLOYMENT and NEXT_PUBLIC_CONVEX_URL to .env.local)";
const ISSUER_VAR = "CLERK_JWT_ISSUER_DOMAIN";
const ISSUER_SET = `npx convex env set ${ISSUER_VAR}`;
const WEBHOOK_SECRET_FIX =
  "copy the endpoint's Signing Secret (Clerk dashboard → Webhooks → your endpoint) and run `npx convex env set CLERK_WEBHOOK_SECRET whsec_…`";
const START_OFFLINE = "start it with npm run dev";

// Same rule as convex/model/env.ts, which the webhook applies on the deployment.
const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/]{16,}={0,2}$/;

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

export type Mode = "offline" | "connected" | "partial";

/** Offline when none of the connected variables is set, connected when all are, else half-configured. */
export function detectMode(env: Env): Mode {
  const set = CONNECTED_VARS.filter((name) => present(env[name]));
  if (set.length === 0) return "offline";
  return set.length === CONNECTED_VARS.length ? "connected" : "partial";
}

export function checkMode(env: Env): Finding {
  const set = CONNECTED_VARS.filter((name) => present(env[name]));
  const missing = CONNECTED_VARS.filter((name) => !present(env[name]));
  switch (detectMode(env)) {
    case "offline":
      return ok(
        "mode",
        "offline mode: no Convex deployment or Clerk keys configured, so `npm run dev` runs the offline stack (checked below)",
      );
    case "connected":
      return ok("mode", `connected mode: Convex deployment ${env.CONVEX_DEPLOYMENT} with Clerk keys`);
    case "partial":
      return problem(
        "mode",
        `half a connected configuration: ${set.join(", ")} ${set.length === 1 ? "is" : "are"} set but ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not`,
        `set ${missing.join(", ")} in .env.local (see .env.example), or remove ${set.join(", ")} to run offline`,
      );
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

/** The cloud deployment name in `https://<name>.convex.cloud`, or null. */
export function cloudDeploymentName(convexUrl: string | undefined): string | null {
  const url = present(convexUrl) ? parseUrl(convexUrl.trim()) : null;
  if (url === null || url.protocol !== "https:") return null;
  return /^([a-z0-9-]+)\.convex\.cloud$/i.exec(url.hostname)?.[1]?.toLowerCase() ?? null;
}

export function checkConvexUrl(value: string | undefined, deployment: string | undefined): Finding {
  const name = "NEXT_PUBLIC_CONVEX_URL";
  if (!present(value)) return problem(name, `${name} is not set`, CONVEX_DEV);
  const url = parseUrl(value.trim());
  const parsedDeployment = present(deployment) ? deploymentName(deployment) : null;
  const local = parsedDeployment?.kind === "local" || parsedDeployment?.kind === "anonymous";
  if (url === null) return problem(name, `${name} is not a URL (got "${value}")`, CONVEX_DEV);
  if (url.hostname.endsWith(".convex.site")) {
    return problem(
      name,
      `${name} is the HTTP-actions URL (.convex.site); the client needs the .convex.cloud URL`,
      `set ${name}=https://${url.hostname.replace(/\.convex\.site$/, ".convex.cloud")} in .env.local`,
    );
  }
  if (url.protocol !== "https:" && !local) {
    return problem(name, `${name} must be an https:// URL (got "${value}")`, CONVEX_DEV);
  }
  const cloudName = cloudDeploymentName(value);
  if (!local && cloudName === null) {
    return problem(
      name,
      `${name} is not a Convex cloud client URL (https://<name>.convex.cloud, got "${value}")`,
      `${CONVEX_DEV}; the URL is also under Convex dashboard → Settings → URL & Deploy Key`,
    );
  }
  if (cloudName !== null && parsedDeployment !== null && !local && parsedDeployment.name !== cloudName) {
    return problem(
      name,
      `${name} points at deployment ${cloudName} but CONVEX_DEPLOYMENT is ${parsedDeployment.name}`,
      `set ${name}=https://${parsedDeployment.name}.convex.cloud in .env.local, or ${CONVEX_DEV}`,
    );
  }
  return ok(name, `${name}: ${url.origin}`);
}

/**
 * CLERK_JWT_ISSUER_DOMAIN (as convex/auth.config.ts reads it on the deployment): an https origin
 * with no path or trailing slash, and the Frontend API of the instance the publishable key names.
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
  if (value.trim() !== url.origin) {
    return problem(
      name,
      `${name} must be the bare origin, with no path or trailing slash (got "${value}"); tokens' iss would not match it`,
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
  return ok(
    name,
    `${name}: ${url.origin}, the issuer convex/auth.config.ts trusts (applicationID "convex"); tokens must carry exactly this iss`,
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
  if (!WEBHOOK_SECRET.test(value.trim())) {
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
 * A sample token against what Convex will check: `iss` equal to the trusted issuer, `aud`
 * containing "convex", and organization claims this app reads (convex/model/claims.ts).
 */
export function checkToken(jwt: string, expected: { issuer: string | null; nowSeconds: number }): Finding[] {
  const check = "token";
  const summary = summarizeToken(jwt);
  if (summary === null) {
    return [
      problem(check, "the sample token is not a JWT", "pass the token itself (three base64url parts) with --token"),
    ];
  }
  const { iss, audiences, orgId, exp } = summary;
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
  if (!audiences.includes(CONVEX_AUDIENCE)) {
    const aud = audiences.length === 0 ? "missing" : JSON.stringify(audiences.length === 1 ? audiences[0] : audiences);
    findings.push(
      problem(
        check,
        `the token's aud is ${aud}, not "convex": Convex will refuse it (auth.config applicationID "convex")`,
        'use the `convex` JWT template (Clerk dashboard → JWT templates → New → Convex) or activate Clerk\'s Convex integration (Clerk dashboard → Integrations → Convex), and get tokens with getToken({ template: "convex" })',
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
    const note =
      expiredAt === null
        ? ""
        : ` (note: it expired at ${expiredAt}; fine for this check, but Convex needs a fresh one)`;
    findings.push(ok(check, `sample token: iss ${iss}, aud convex, organization ${orgId}${note}`));
  } else if (expiredAt !== null) {
    findings.push(ok(check, `note: the sample token expired at ${expiredAt}`));
  }
  return findings;
}

/** The Clerk webhook endpoint URL must be the deployment's `.convex.site` URL plus `/webhooks/clerk`. */
export function checkWebhookUrl(value: string, convexUrl: string | undefined, deployment?: string): Finding {
  const check = "webhook URL";
  const fromDeployment = present(deployment) ? deploymentName(deployment) : null;
  const name =
    cloudDeploymentName(convexUrl) ??
    (fromDeployment !== null && ["dev", "prod"].includes(fromDeployment.kind) ? fromDeployment.name : null);
  const expected =
    name === null ? "https://<deployment>.convex.site/webhooks/clerk" : `https://${name}.convex.site/webhooks/clerk`;
  const fix = `set the endpoint URL to ${expected} (Clerk dashboard → Webhooks → your endpoint → Edit)`;
  const url = parseUrl(value.trim());
  if (url === null) return problem(check, `the webhook URL is not a URL (got "${value}")`, fix);
  if (url.protocol !== "https:") return problem(check, `the webhook URL must use https (got "${value}")`, fix);
  if (url.hostname.endsWith(".convex.cloud")) {
    return problem(check, "the webhook URL is on .convex.cloud; HTTP actions are served on .convex.site", fix);
  }
  if (url.pathname !== "/webhooks/clerk") {
    return problem(check, `the webhook URL's path is ${url.pathname}, not /webhooks/clerk`, fix);
  }
  if (name === null) {
    return unknown(
      check,
      "which deployment the webhook URL points at: neither NEXT_PUBLIC_CONVEX_URL nor CONVEX_DEPLOYMENT names a cloud deployment",
    );
  }
  if (url.hostname.toLowerCase() !== `${name}.convex.site`) {
    return problem(check, `the webhook URL points at ${url.hostname}, not this deployment's ${name}.convex.site`, fix);
  }
  return ok(check, `webhook URL: ${url.href}`);
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
  const mode = detectMode(env);
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

  if (mode === "offline") {
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
    findings.push(checkConvexDeployment(env.CONVEX_DEPLOYMENT));
    findings.push(checkConvexUrl(env.NEXT_PUBLIC_CONVEX_URL, env.CONVEX_DEPLOYMENT));
    findings.push(checkPublishableKey(publishable));
    findings.push(checkSecretKey(env.CLERK_SECRET_KEY, publishable));
    // CLERK_JWT_ISSUER_DOMAIN only matters when auth.config.ts trusts it; when the deployment was
    // read and has none, checkAuthConfig already says so.
    const trusted = trustsIssuerDomain(inputs.authConfig);
    if (trusted && (inputs.issuerDomain !== null || inputs.deploymentEnv === null)) {
      findings.push(checkIssuerDomain(inputs.issuerDomain ?? undefined, publishable));
    }
    findings.push(checkWebhookSecret(inputs.webhookSecret ?? undefined, inputs.deploymentEnv !== null));
    if (inputs.webhookUrl !== null)
      findings.push(checkWebhookUrl(inputs.webhookUrl, env.NEXT_PUBLIC_CONVEX_URL, env.CONVEX_DEPLOYMENT));
    // Tokens must carry the issuer Convex trusts: the deployment's CLERK_JWT_ISSUER_DOMAIN when
    // auth.config.ts reads it, else the publishable key's (checkAuthConfig compares the two).
    const given = inputs.issuerDomain?.trim();
    expectedIssuer = trusted && present(given) ? given : keyIssuer;
  }

  if ("jwt" in inputs.token) {
    findings.push(...checkToken(inputs.token.jwt, { issuer: expectedIssuer, nowSeconds: inputs.nowSeconds }));
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
