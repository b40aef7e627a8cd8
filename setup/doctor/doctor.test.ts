// @vitest-environment node
import { readFileSync } from "node:fs";
import { UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  diagnose,
  exitCode,
  publishableKeyHost,
  render,
  sampleTokenHint,
  WEBHOOK_SECRET_FORMAT as DOCTOR_SECRET_FORMAT,
  type DoctorInputs,
  type Finding,
} from "./checks";
import { main, type DoctorDeps } from "./cli";
import { fromEnvList, lastErrorLine, parseEnvList } from "./deployment-env";

const HOST = "example.clerk.accounts.dev";
const PUBLISHABLE = `pk_test_${Buffer.from(`${HOST}$`).toString("base64")}`;
const ISSUER = `https://${HOST}`;
const NOW = 1_800_000_000;
const AUTH_CONFIG = `const domain = process.env.CLERK_JWT_ISSUER_DOMAIN;
export default { providers: [{ domain, applicationID: "convex" }] };`;
const OTHER_ISSUER = "https://other-instance-1.clerk.accounts.dev";
const WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OFFLINE_IDP = "http://127.0.0.1:3212";

const CONNECTED_ENV = {
  CONVEX_DEPLOYMENT: "dev:happy-animal-123",
  NEXT_PUBLIC_CONVEX_URL: "https://happy-animal-123.convex.cloud",
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: PUBLISHABLE,
  CLERK_SECRET_KEY: "sk_test_abcdefghijklmnopqrstuvwxyz",
};
const REGIONAL_URL = "https://happy-animal-123.eu-west-1.convex.cloud";
/** The open-source backend, as `npx convex dev` leaves .env.local for it (no CONVEX_DEPLOYMENT). */
const SELF_HOSTED_SITE = "https://convex-site.example.com";
const SELF_HOSTED_ENV = {
  CONVEX_SELF_HOSTED_URL: "http://convex.internal:3210",
  CONVEX_SELF_HOSTED_ADMIN_KEY: "convex-self-hosted|0123456789abcdef",
  NEXT_PUBLIC_CONVEX_URL: "http://convex.internal:3210",
  NEXT_PUBLIC_CONVEX_SITE_URL: SELF_HOSTED_SITE,
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: PUBLISHABLE,
  CLERK_SECRET_KEY: "sk_test_abcdefghijklmnopqrstuvwxyz",
};

function token(claims: Record<string, unknown>): string {
  return new UnsecuredJWT({
    iss: ISSUER,
    aud: "convex",
    sub: "user_1",
    exp: NOW + 60,
    // Clerk's session token v2 organization claim, which is read only with v: 2.
    v: 2,
    o: { id: "org_1", rol: "admin" },
    ...claims,
  }).encode();
}

function clean(overrides: Partial<DoctorInputs> = {}): DoctorInputs {
  return {
    env: { ...CONNECTED_ENV },
    issuerDomain: ISSUER,
    webhookSecret: WEBHOOK_SECRET,
    deploymentEnv: null,
    deploymentEnvError: null,
    webhookUrl: "https://happy-animal-123.convex.site/webhooks/clerk",
    token: { jwt: token({}) },
    offline: null,
    authConfig: AUTH_CONFIG,
    nowSeconds: NOW,
    ...overrides,
  };
}

function withEnv(env: Record<string, string | undefined>, overrides: Partial<DoctorInputs> = {}): DoctorInputs {
  return clean({ env: { ...CONNECTED_ENV, ...env }, ...overrides });
}

const problems = (findings: Finding[]) => findings.filter((finding) => finding.status === "problem");

/** Runs the checks and expects exactly one problem whose line matches `message`; returns it. */
function expectOneProblem(inputs: DoctorInputs, message: RegExp): string {
  const findings = diagnose(inputs);
  const lines = render(findings).filter((line) => line.startsWith("✗"));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(lines[0]).toMatch(/ — fix: \S/);
  expect(exitCode(findings)).toBe(1);
  return lines[0]!;
}

describe("doctor checks", () => {
  it("finds nothing wrong in a clean connected configuration", () => {
    const findings = diagnose(clean());
    expect(findings.filter((finding) => finding.status !== "ok")).toEqual([]);
    expect(exitCode(findings)).toBe(0);
    expect(render(findings).at(-1)).toBe("No problems found, 0 things not checked.");
  });

  it("decodes the publishable key to its Frontend API host", () => {
    expect(publishableKeyHost(PUBLISHABLE)).toBe(HOST);
    expect(publishableKeyHost("pk_test_" + Buffer.from(HOST).toString("base64"))).toBeNull();
  });

  it("names the missing variables of half a connected configuration", () => {
    const findings = diagnose(
      clean({
        env: { NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: PUBLISHABLE, CLERK_SECRET_KEY: CONNECTED_ENV.CLERK_SECRET_KEY },
      }),
    );
    const lines = render(findings);
    expect(lines[0]).toMatch(
      /^✗ half a connected configuration: .* but CONVEX_DEPLOYMENT, NEXT_PUBLIC_CONVEX_URL are not/,
    );
    expect(lines.some((line) => /^✗ CONVEX_DEPLOYMENT is not set — fix: run `npx convex dev`/.test(line))).toBe(true);
    expect(exitCode(findings)).toBe(1);
  });

  it("refuses a publishable key without the pk_test_/pk_live_ prefix", () => {
    expectOneProblem(withEnv({ NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pub_abc" }), /must start with pk_test_ or pk_live_/);
  });

  it("refuses a publishable key that is not base64 of a host and $", () => {
    expectOneProblem(
      withEnv({ NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_test_" + Buffer.from(HOST).toString("base64") }),
      /NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY is malformed/,
    );
  });

  it("refuses a secret key without the sk_test_/sk_live_ prefix", () => {
    expectOneProblem(withEnv({ CLERK_SECRET_KEY: "pk_test_nope" }), /CLERK_SECRET_KEY must be sk_test_… or sk_live_…/);
  });

  it("refuses a live secret key with a test publishable key", () => {
    expectOneProblem(withEnv({ CLERK_SECRET_KEY: "sk_live_abc" }), /is a live key but .* is a test key/);
  });

  it("refuses a .convex.site Convex URL and gives the .convex.cloud one", () => {
    const line = expectOneProblem(
      withEnv({ NEXT_PUBLIC_CONVEX_URL: "https://happy-animal-123.convex.site" }),
      /HTTP-actions URL \(\.convex\.site\)/,
    );
    expect(line).toContain("NEXT_PUBLIC_CONVEX_URL=https://happy-animal-123.convex.cloud");
  });

  it("refuses an http Convex URL for a cloud deployment", () => {
    expectOneProblem(
      withEnv({ NEXT_PUBLIC_CONVEX_URL: "http://happy-animal-123.convex.cloud" }),
      /must be an https:\/\/ URL/,
    );
  });

  it("cannot check a Convex URL on a custom domain, and does not refuse it", () => {
    // Was "refuses a Convex URL that is not a .convex.cloud client URL": custom domains are valid.
    const findings = diagnose(withEnv({ NEXT_PUBLIC_CONVEX_URL: "https://example.com" }));
    expect(problems(findings)).toEqual([]);
    expect(render(findings)).toContain(
      "? could not check: whether NEXT_PUBLIC_CONVEX_URL (https://example.com) serves deployment happy-animal-123: it is not a <name>.convex.cloud URL, so it should be one of the deployment's custom domains (Convex dashboard → Settings → Custom Domains)",
    );
  });

  it("refuses a Convex URL for another deployment than CONVEX_DEPLOYMENT", () => {
    expectOneProblem(
      withEnv({ CONVEX_DEPLOYMENT: "dev:other-deer-456" }),
      /points at deployment happy-animal-123 but CONVEX_DEPLOYMENT is other-deer-456/,
    );
  });

  it("refuses a malformed CONVEX_DEPLOYMENT", () => {
    expectOneProblem(withEnv({ CONVEX_DEPLOYMENT: "happy animal" }), /CONVEX_DEPLOYMENT is malformed/);
  });

  it("accepts an issuer domain with a trailing slash, which Convex trims, with a note", () => {
    // Was "refuses an issuer domain with a trailing slash": Convex trims trailing slashes before comparing.
    const findings = diagnose(clean({ issuerDomain: `${ISSUER}/` }));
    expect(findings.filter((finding) => finding.status !== "ok")).toEqual([]);
    expect(render(findings)).toContain(
      `✓ CLERK_JWT_ISSUER_DOMAIN: ${ISSUER} (given with a trailing slash, which Convex trims before comparing), the issuer convex/auth.config.ts trusts (applicationID "convex"); tokens must carry exactly this iss`,
    );
    expect(exitCode(findings)).toBe(0);
  });

  it("refuses an issuer domain with a path", () => {
    // The token's iss is the bare origin, so it does not match the issuer given either.
    const findings = diagnose(clean({ issuerDomain: `${ISSUER}/oauth` }));
    expect(render(findings).filter((line) => line.startsWith("✗"))[0]).toMatch(/must be the bare origin/);
    expect(exitCode(findings)).toBe(1);
  });

  it("refuses an http issuer domain", () => {
    const findings = diagnose(clean({ issuerDomain: `http://${HOST}` }));
    expect(render(findings).some((line) => /^✗ CLERK_JWT_ISSUER_DOMAIN must be an https:\/\/ URL/.test(line))).toBe(
      true,
    );
    expect(exitCode(findings)).toBe(1);
  });

  it("refuses an issuer domain of another Clerk instance than the publishable key", () => {
    const other = "https://other-instance-1.clerk.accounts.dev";
    const findings = diagnose(clean({ issuerDomain: other, token: { jwt: token({ iss: other }) } }));
    const lines = render(findings).filter((line) => line.startsWith("✗"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`but the publishable key belongs to ${ISSUER}`);
    expect(lines[0]).toContain(`npx convex env set CLERK_JWT_ISSUER_DOMAIN ${ISSUER}`);
    expect(exitCode(findings)).toBe(1);
  });

  it("refuses a malformed webhook secret", () => {
    expectOneProblem(clean({ webhookSecret: "secret_123" }), /CLERK_WEBHOOK_SECRET is malformed/);
  });

  it("says what to run when the deployment's variables were not passed", () => {
    const findings = diagnose(clean({ issuerDomain: null, webhookSecret: null }));
    const lines = render(findings).filter((line) => line.startsWith("?"));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^\? could not check: .*run `npx convex env list` and pass it/);
    expect(exitCode(findings)).toBe(0);
  });

  it("refuses a token from another issuer with Convex's own message", () => {
    expectOneProblem(
      clean({ token: { jwt: token({ iss: "https://elsewhere.clerk.accounts.dev" }) } }),
      /Convex will say 'No auth provider found matching the given token'/,
    );
  });

  it("refuses a token whose aud lacks convex", () => {
    const line = expectOneProblem(clean({ token: { jwt: token({ aud: "my-app" }) } }), /aud is "my-app", not "convex"/);
    expect(line).toContain("`convex` JWT template");
  });

  it("refuses a token without organization claims", () => {
    const line = expectOneProblem(clean({ token: { jwt: token({ o: undefined }) } }), /no organization claims/);
    expect(line).toMatch(/enable Organizations/);
  });

  it("accepts the flattened and the template shapes of organization claims", () => {
    for (const claims of [
      { o: undefined, "o.id": "org_1" },
      { o: undefined, v: undefined, org_id: "org_1" },
    ]) {
      expect(problems(diagnose(clean({ token: { jwt: token(claims) } })))).toEqual([]);
    }
  });

  it("only notes an expired token", () => {
    const findings = diagnose(clean({ token: { jwt: token({ exp: NOW - 10 }) } }));
    expect(render(findings).some((line) => /^✓ .*note: it expired at/.test(line))).toBe(true);
    expect(exitCode(findings)).toBe(0);
  });

  it("refuses a webhook URL on .convex.cloud", () => {
    const line = expectOneProblem(
      clean({ webhookUrl: "https://happy-animal-123.convex.cloud/webhooks/clerk" }),
      /on \.convex\.cloud/,
    );
    expect(line).toContain("https://happy-animal-123.convex.site/webhooks/clerk");
  });

  it("refuses a webhook URL with the wrong path", () => {
    expectOneProblem(clean({ webhookUrl: "https://happy-animal-123.convex.site/clerk" }), /path is \/clerk/);
  });

  it("refuses an http webhook URL", () => {
    expectOneProblem(clean({ webhookUrl: "http://happy-animal-123.convex.site/webhooks/clerk" }), /must use https/);
  });

  it("refuses a webhook URL of another deployment", () => {
    expectOneProblem(
      clean({ webhookUrl: "https://other-deer-456.convex.site/webhooks/clerk" }),
      /not this deployment's happy-animal-123\.convex\.site/,
    );
  });

  it("checks the offline stack when nothing is configured, and an unreachable one is not a failure", () => {
    const down = { ok: false as const, why: "connect ECONNREFUSED" };
    const findings = diagnose(
      clean({
        env: {},
        issuerDomain: null,
        webhookSecret: null,
        webhookUrl: null,
        offline: { convex: down, idp: down },
        token: { why: "idp down" },
      }),
    );
    const lines = render(findings);
    expect(lines[0]).toMatch(/^✓ offline mode/);
    expect(lines.filter((line) => /^\? could not check: .*\(start it with npm run dev\)/.test(line))).toHaveLength(2);
    expect(exitCode(findings)).toBe(0);
  });

  it("expects offline tokens to come from the identity provider", () => {
    const up = { ok: true as const, body: { issuer: "http://127.0.0.1:3212" } };
    const inputs = clean({
      env: {},
      issuerDomain: null,
      webhookSecret: null,
      webhookUrl: null,
      offline: { convex: up, idp: up },
    });
    expectOneProblem(inputs, /iss is https:\/\/example\.clerk\.accounts\.dev, not http:\/\/127\.0\.0\.1:3212/);
    const offlineToken = token({ iss: "http://127.0.0.1:3212" });
    expect(problems(diagnose({ ...inputs, token: { jwt: offlineToken } }))).toEqual([]);
  });
});

describe("offline token settings", () => {
  const up = { ok: true as const, body: { issuer: "http://127.0.0.1:3212" } };
  const offline = (tokenSettings: unknown) =>
    clean({
      env: {},
      issuerDomain: null,
      webhookSecret: null,
      webhookUrl: null,
      offline: { convex: up, idp: up, tokenSettings: { ok: true, body: tokenSettings } },
      token: { jwt: token({ iss: "http://127.0.0.1:3212" }) },
    });
  const normal = { audience: "convex", organization_claims: true };

  it("passes normal token settings", () => {
    expect(problems(diagnose(offline({ default: normal, users: {} })))).toEqual([]);
  });

  it("names deliberately misconfigured tokens, for everyone or one user, and how to restore them", () => {
    const findings = problems(
      diagnose(
        offline({
          default: { audience: "not-convex", organization_claims: true },
          users: { user_1: { organization_claims: false } },
        }),
      ),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain(
      `everyone's tokens: aud "not-convex"; user_1's tokens: no organization claims`,
    );
    expect(findings[0]!.fix).toBe("run `curl -X DELETE http://127.0.0.1:3212/token-settings`, or restart npm run dev");
    expect(exitCode(diagnose(offline({ default: normal, users: { user_2: { audience: "x" } } })))).toBe(1);
  });
});

describe("convex/auth.config.ts against the deployment and the tokens", () => {
  const authConfig = (domain: string, applicationID = '"convex"') =>
    `export default { providers: [{ domain: ${domain}, applicationID: ${applicationID} }] };`;
  /** What the CLI passes after listing the deployment's variables with `npx convex env list`. */
  const listed = (vars: Record<string, string>, overrides: Partial<DoctorInputs> = {}) =>
    clean({
      issuerDomain: vars.CLERK_JWT_ISSUER_DOMAIN ?? null,
      webhookSecret: vars.CLERK_WEBHOOK_SECRET ?? null,
      deploymentEnv: vars,
      ...overrides,
    });
  /** Exactly one problem, and it is this message with this fix. */
  function expectOnly(inputs: DoctorInputs, message: string, fix: string) {
    const line = expectOneProblem(inputs, /^✗ /);
    expect(line).toBe(`✗ ${message} — fix: ${fix}`);
  }
  const offline = (authConfigSource: string) => {
    const up = { ok: true as const, body: { issuer: OFFLINE_IDP } };
    return clean({
      env: {},
      issuerDomain: null,
      webhookSecret: null,
      webhookUrl: null,
      offline: { convex: up, idp: up },
      token: { jwt: token({ iss: OFFLINE_IDP }) },
      authConfig: authConfigSource,
    });
  };

  it("finds nothing wrong when the deployment lists the right variables", () => {
    const findings = diagnose(listed({ CLERK_JWT_ISSUER_DOMAIN: ISSUER, CLERK_WEBHOOK_SECRET: WEBHOOK_SECRET }));
    expect(findings.filter((finding) => finding.status !== "ok")).toEqual([]);
    expect(render(findings)).toContain(
      "✓ the deployment's variables, read with `npx convex env list`: CLERK_JWT_ISSUER_DOMAIN, CLERK_WEBHOOK_SECRET",
    );
    expect(exitCode(findings)).toBe(0);
  });

  it("refuses an applicationID other than convex", () => {
    const fix =
      'set `applicationID: "convex"` in convex/auth.config.ts and push it (`npx convex dev`, or `npx convex deploy` for production)';
    expectOnly(
      clean({ authConfig: authConfig("process.env.CLERK_JWT_ISSUER_DOMAIN", '"my-app"') }),
      'convex/auth.config.ts has applicationID "my-app", but the app\'s tokens carry aud "convex" (Clerk\'s Convex integration and the `convex` JWT template, which ConvexProviderWithClerk asks for): Convex would refuse every token',
      fix,
    );
    expectOnly(
      clean({ authConfig: "export default { providers: [{ domain: process.env.CLERK_JWT_ISSUER_DOMAIN }] };" }),
      "convex/auth.config.ts has no applicationID, but the app's tokens carry aud \"convex\" (Clerk's Convex integration and the `convex` JWT template, which ConvexProviderWithClerk asks for): Convex would refuse every token",
      fix,
    );
  });

  it("refuses a domain variable the deployment does not have", () => {
    const inputs = listed({ CLERK_WEBHOOK_SECRET: WEBHOOK_SECRET });
    expectOnly(
      inputs,
      "convex/auth.config.ts reads its domain from CLERK_JWT_ISSUER_DOMAIN, which the deployment does not have: pushing convex/auth.config.ts fails, and no token is accepted",
      `run \`npx convex env set CLERK_JWT_ISSUER_DOMAIN ${ISSUER}\``,
    );
    // Said once, not also as "not readable from here".
    expect(render(diagnose(inputs)).filter((line) => line.startsWith("?"))).toEqual([]);
    expectOnly(
      listed(
        { CLERK_JWT_ISSUER_DOMAIN: ISSUER, CLERK_WEBHOOK_SECRET: WEBHOOK_SECRET },
        { authConfig: authConfig("process.env.CLERK_FRONTEND_API_URL") },
      ),
      "convex/auth.config.ts reads its domain from CLERK_FRONTEND_API_URL, which the deployment does not have: pushing convex/auth.config.ts fails, and no token is accepted",
      `run \`npx convex env set CLERK_FRONTEND_API_URL ${ISSUER}\``,
    );
  });

  it("refuses a domain variable that names another Clerk instance than the publishable key", () => {
    expectOnly(
      listed(
        { CLERK_FRONTEND_API_URL: OTHER_ISSUER, CLERK_WEBHOOK_SECRET: WEBHOOK_SECRET },
        { authConfig: authConfig("process.env.CLERK_FRONTEND_API_URL") },
      ),
      `convex/auth.config.ts trusts the issuer in CLERK_FRONTEND_API_URL, which is ${OTHER_ISSUER} on the deployment, but the publishable key belongs to ${ISSUER}: Convex would trust another Clerk instance and refuse this one's tokens`,
      `run \`npx convex env set CLERK_FRONTEND_API_URL ${ISSUER}\``,
    );
  });

  it("reports a wrong CLERK_JWT_ISSUER_DOMAIN on the deployment once", () => {
    const inputs = listed(
      { CLERK_JWT_ISSUER_DOMAIN: OTHER_ISSUER, CLERK_WEBHOOK_SECRET: WEBHOOK_SECRET },
      { token: { jwt: token({ iss: OTHER_ISSUER }) } },
    );
    const line = expectOneProblem(inputs, /^✗ CLERK_JWT_ISSUER_DOMAIN is .* but the publishable key belongs to/);
    expect(line).toContain(`npx convex env set CLERK_JWT_ISSUER_DOMAIN ${ISSUER}`);
  });

  it("refuses a hard-coded domain of another Clerk instance, and accepts the right one", () => {
    expectOnly(
      clean({ authConfig: authConfig(`"${OTHER_ISSUER}"`) }),
      `convex/auth.config.ts hard-codes domain "${OTHER_ISSUER}", but the publishable key belongs to ${ISSUER}: Convex would trust another Clerk instance and refuse this one's tokens`,
      `read it with \`domain: process.env.CLERK_JWT_ISSUER_DOMAIN\` in convex/auth.config.ts, run \`npx convex env set CLERK_JWT_ISSUER_DOMAIN ${ISSUER}\`, and push it (\`npx convex dev\`, or \`npx convex deploy\` for production)`,
    );
    expect(problems(diagnose(clean({ authConfig: authConfig(`'${ISSUER}/'`) })))).toEqual([]);
  });

  it("refuses a webhook secret the deployment does not have", () => {
    expectOnly(
      listed({ CLERK_JWT_ISSUER_DOMAIN: ISSUER }),
      "the deployment has no CLERK_WEBHOOK_SECRET: its /webhooks/clerk endpoint refuses every Clerk event (500) until it is set",
      "copy the endpoint's Signing Secret (Clerk dashboard → Webhooks → your endpoint) and run `npx convex env set CLERK_WEBHOOK_SECRET whsec_…`",
    );
  });

  it("cannot check another domain variable without the deployment's variables", () => {
    const findings = diagnose(
      clean({ issuerDomain: null, authConfig: authConfig("process.env.CLERK_FRONTEND_API_URL") }),
    );
    expect(render(findings).filter((line) => line.startsWith("?"))).toEqual([
      `? could not check: the deployment's CLERK_FRONTEND_API_URL, which convex/auth.config.ts reads its domain from: run \`npx convex env list\` and compare it with ${ISSUER}`,
    ]);
    expect(exitCode(findings)).toBe(0);
  });

  it("offline, refuses a domain variable the offline stack does not set", () => {
    expectOnly(
      offline(authConfig("process.env.CLERK_FRONTEND_API_URL")),
      `convex/auth.config.ts reads its domain from CLERK_FRONTEND_API_URL, but the offline stack sets only CLERK_JWT_ISSUER_DOMAIN (to the identity provider, ${OFFLINE_IDP}) on its Convex server: the offline Convex server refuses every token`,
      "read it with `domain: process.env.CLERK_JWT_ISSUER_DOMAIN` in convex/auth.config.ts and restart npm run dev",
    );
  });

  it("offline, refuses a hard-coded domain other than the identity provider", () => {
    expectOnly(
      offline(authConfig(`"${ISSUER}"`)),
      `convex/auth.config.ts hard-codes domain "${ISSUER}", but offline the issuer is the identity provider, ${OFFLINE_IDP}: the offline Convex server refuses every token`,
      "read it with `domain: process.env.CLERK_JWT_ISSUER_DOMAIN` in convex/auth.config.ts and restart npm run dev",
    );
    expect(problems(diagnose(offline(authConfig(`"${OFFLINE_IDP}"`))))).toEqual([]);
  });

  it("offline, refuses an applicationID other than convex", () => {
    expectOnly(
      offline(authConfig("process.env.CLERK_JWT_ISSUER_DOMAIN", '"my-app"')),
      'convex/auth.config.ts has applicationID "my-app", but the offline identity provider\'s tokens carry aud "convex": the offline Convex server refuses every token',
      'set `applicationID: "convex"` in convex/auth.config.ts and restart npm run dev',
    );
  });

  it("passes the repository's own convex/auth.config.ts, connected and offline", () => {
    const source = readFileSync(new URL("../../convex/auth.config.ts", import.meta.url), "utf8");
    expect(problems(diagnose(clean({ authConfig: source })))).toEqual([]);
    expect(problems(diagnose(offline(source)))).toEqual([]);
  });
});

describe("correct setups beyond a <name>.convex.cloud deployment", () => {
  /** Every finding is fine or could not be checked, and the doctor exits 0. */
  function expectNoProblem(inputs: DoctorInputs): string[] {
    const findings = diagnose(inputs);
    expect(problems(findings)).toEqual([]);
    expect(exitCode(findings)).toBe(0);
    return render(findings);
  }

  it("accepts a regional deployment and its regional webhook URL", () => {
    const lines = expectNoProblem(
      withEnv(
        { NEXT_PUBLIC_CONVEX_URL: REGIONAL_URL },
        { webhookUrl: "https://happy-animal-123.eu-west-1.convex.site/webhooks/clerk" },
      ),
    );
    expect(lines.filter((line) => !line.startsWith("✓"))).toEqual(["No problems found, 0 things not checked."]);
    expect(lines).toContain(`✓ NEXT_PUBLIC_CONVEX_URL: ${REGIONAL_URL} (region eu-west-1)`);
  });

  it("accepts a custom domain, and its deployment's .convex.site webhook URL", () => {
    const lines = expectNoProblem(withEnv({ NEXT_PUBLIC_CONVEX_URL: "https://api.example.com" }));
    expect(lines).toContain(
      "✓ webhook URL: https://happy-animal-123.convex.site/webhooks/clerk (deployment happy-animal-123)",
    );
  });

  it("accepts a self-hosted backend on any host and port, without CONVEX_DEPLOYMENT", () => {
    const lines = expectNoProblem(
      clean({ env: { ...SELF_HOSTED_ENV }, webhookUrl: `${SELF_HOSTED_SITE}/webhooks/clerk` }),
    );
    expect(lines.filter((line) => !line.startsWith("✓"))).toEqual(["No problems found, 0 things not checked."]);
    expect(lines).toContain("✓ NEXT_PUBLIC_CONVEX_URL: http://convex.internal:3210 (self-hosted backend)");
    expect(lines.some((line) => line.includes("CONVEX_DEPLOYMENT"))).toBe(false);
  });

  it("names what half a self-hosted configuration lacks", () => {
    const env = { ...SELF_HOSTED_ENV, CONVEX_SELF_HOSTED_ADMIN_KEY: undefined };
    const lines = render(diagnose(clean({ env, webhookUrl: null })));
    expect(lines[0]).toBe(
      "✗ half a connected configuration: CONVEX_SELF_HOSTED_URL, NEXT_PUBLIC_CONVEX_URL, NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY, CLERK_SECRET_KEY are set but CONVEX_SELF_HOSTED_ADMIN_KEY is not — fix: set CONVEX_SELF_HOSTED_ADMIN_KEY in .env.local (see .env.example), or remove CONVEX_SELF_HOSTED_URL, NEXT_PUBLIC_CONVEX_URL, NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY, CLERK_SECRET_KEY to run offline",
    );
    expect(lines).toContain(
      "✗ CONVEX_SELF_HOSTED_ADMIN_KEY is not set — fix: set CONVEX_SELF_HOSTED_URL (your backend's URL, e.g. http://127.0.0.1:3210) and CONVEX_SELF_HOSTED_ADMIN_KEY (from the backend's generate_admin_key.sh) in .env.local",
    );
  });

  it("refuses a cloud client URL with a self-hosted backend: the CLI would push elsewhere", () => {
    expectOneProblem(
      clean({
        env: { ...SELF_HOSTED_ENV, NEXT_PUBLIC_CONVEX_URL: "https://happy-animal-123.convex.cloud" },
        webhookUrl: null,
      }),
      /is a Convex cloud URL, but CONVEX_SELF_HOSTED_URL selects a self-hosted backend/,
    );
  });

  it("refuses a site URL that is a client URL, or another deployment's", () => {
    expectOneProblem(
      withEnv({ NEXT_PUBLIC_CONVEX_SITE_URL: "https://happy-animal-123.convex.cloud" }),
      /NEXT_PUBLIC_CONVEX_SITE_URL is a client URL \(\.convex\.cloud\).* fix: set NEXT_PUBLIC_CONVEX_SITE_URL=https:\/\/happy-animal-123\.convex\.site in \.env\.local/,
    );
    expectOneProblem(
      withEnv({ CONVEX_SITE_URL: "https://other-deer-456.convex.site" }),
      /CONVEX_SITE_URL is deployment other-deer-456's HTTP-actions URL, but NEXT_PUBLIC_CONVEX_URL is deployment happy-animal-123's/,
    );
  });
});

describe("the webhook URL the doctor expects", () => {
  const webhook = (webhookUrl: string, env: Record<string, string | undefined> = {}) =>
    diagnose(withEnv(env, { webhookUrl })).find((finding) => finding.check === "webhook URL");

  it("derives it from a regional client URL, keeping the region", () => {
    expect(
      webhook("https://happy-animal-123.eu-west-1.convex.cloud/webhooks/clerk", {
        NEXT_PUBLIC_CONVEX_URL: REGIONAL_URL,
      }),
    ).toMatchObject({
      status: "problem",
      fix: "set the endpoint URL to https://happy-animal-123.eu-west-1.convex.site/webhooks/clerk (Clerk dashboard → Webhooks → your endpoint → Edit)",
    });
    expect(
      webhook("https://other-deer-456.eu-west-1.convex.site/webhooks/clerk", { NEXT_PUBLIC_CONVEX_URL: REGIONAL_URL }),
    ).toMatchObject({
      status: "problem",
      message:
        "the webhook URL points at other-deer-456.eu-west-1.convex.site, not this deployment's happy-animal-123.eu-west-1.convex.site",
    });
  });

  it("does not call the deployment's URL without the region wrong, only unchecked", () => {
    expect(
      webhook("https://happy-animal-123.convex.site/webhooks/clerk", { NEXT_PUBLIC_CONVEX_URL: REGIONAL_URL }),
    ).toMatchObject({ status: "unknown" });
  });

  it("takes CONVEX_SITE_URL, then NEXT_PUBLIC_CONVEX_SITE_URL, over the derived one, and still accepts the derived one", () => {
    const env = {
      NEXT_PUBLIC_CONVEX_URL: "https://api.example.com",
      NEXT_PUBLIC_CONVEX_SITE_URL: "https://hooks.example.com",
    };
    expect(webhook("https://hooks.example.com/webhooks/clerk", env)).toMatchObject({ status: "ok" });
    expect(webhook("https://api.example.com/webhooks/clerk", env)).toMatchObject({
      status: "unknown",
      message:
        "whether https://api.example.com leads to https://hooks.example.com: fine if it is a custom domain or proxy for the deployment's HTTP actions; otherwise use https://hooks.example.com/webhooks/clerk",
    });
    expect(
      webhook("https://happy-animal-123.convex.cloud/webhooks/clerk", {
        ...env,
        CONVEX_SITE_URL: "https://site.example.com/",
      }),
    ).toMatchObject({ status: "problem", fix: expect.stringContaining("https://site.example.com/webhooks/clerk") });
    // A custom site domain does not stop the .convex.site URL derived from a cloud client URL from working.
    expect(
      webhook("https://happy-animal-123.convex.site/webhooks/clerk", {
        NEXT_PUBLIC_CONVEX_SITE_URL: "https://hooks.example.com",
      }),
    ).toMatchObject({ status: "ok" });
  });

  it("says it could not check, and suggests nothing, when the site URL cannot be derived", () => {
    const custom = { NEXT_PUBLIC_CONVEX_URL: "https://api.example.com", CONVEX_DEPLOYMENT: undefined };
    const finding = webhook("https://hooks.example.com/webhooks/clerk", custom);
    expect(finding).toMatchObject({
      status: "unknown",
      message:
        "where https://hooks.example.com leads: the HTTP-actions URL cannot be derived from NEXT_PUBLIC_CONVEX_URL (a custom domain or a self-hosted backend); set NEXT_PUBLIC_CONVEX_SITE_URL in .env.local to have it checked",
    });
    const selfHosted = clean({
      env: { ...SELF_HOSTED_ENV, NEXT_PUBLIC_CONVEX_SITE_URL: undefined },
      webhookUrl: "http://convex.internal:3211/webhooks/clerk",
    });
    expect(diagnose(selfHosted).find((f) => f.check === "webhook URL")).toMatchObject({ status: "unknown" });
    expect(exitCode(diagnose(selfHosted))).toBe(0);
  });
});

describe("the sample token and Clerk's two token paths", () => {
  const sessionToken = (claims: Record<string, unknown> = {}) => token({ sid: "sess_1", v: 2, ...claims });
  const tokenLine = (jwt: string) =>
    render(diagnose(clean({ token: { jwt } }))).find(
      (line) => /token/.test(line) && /^[✓✗?] (sample|the sample|the token)/.test(line),
    );

  it("names the integration's session token and the template's token as the app gets them", () => {
    expect(tokenLine(sessionToken())).toBe(
      `✓ sample token: iss ${ISSUER}, aud convex (Clerk's Convex integration: the app's getToken()), organization org_1`,
    );
    expect(tokenLine(token({}))).toBe(
      `✓ sample token: iss ${ISSUER}, aud convex (the \`convex\` JWT template: the app's getToken({ template: "convex" })), organization org_1`,
    );
  });

  it("asks for the template's token, not a problem, for a session token without aud convex", () => {
    const findings = diagnose(clean({ token: { jwt: sessionToken({ aud: undefined, o: undefined }) } }));
    expect(exitCode(findings)).toBe(0);
    const line = render(findings).find((l) =>
      l.startsWith("? could not check: the sample token is a Clerk session token"),
    );
    expect(line).toContain(sampleTokenHint("template"));
    expect(sampleTokenHint("template")).toContain(
      '`await window.Clerk.session.getToken({ template: "convex" })`, as your instance uses the `convex` JWT template',
    );
  });

  it("gives both paths' fixes for a template token without aud convex", () => {
    const line = expectOneProblem(clean({ token: { jwt: token({ aud: "my-app" }) } }), /aud is "my-app"/);
    expect(line).toContain('the app then asks for getToken({ template: "convex" })');
    expect(line).toContain("the app then sends the session token, getToken()");
  });
});

describe("npx convex env list output", () => {
  it("reads NAME=value lines, strips one pair of quotes and skips everything else", () => {
    const output = [
      "CLERK_JWT_ISSUER_DOMAIN=https://example.clerk.accounts.dev",
      'QUOTED="a # b"',
      "SINGLE='say \"hi\"'",
      "EQUALS=a=b=c",
      "EMPTY=",
      "WINDOWS=crlf\r",
      "Warning (QUOTED): includes a '#' which may be interpreted as a comment",
      "lower_case=ignored",
      "",
    ].join("\n");
    expect(parseEnvList(output)).toEqual({
      CLERK_JWT_ISSUER_DOMAIN: "https://example.clerk.accounts.dev",
      QUOTED: "a # b",
      SINGLE: 'say "hi"',
      EQUALS: "a=b=c",
      EMPTY: "",
      WINDOWS: "crlf",
    });
    expect(parseEnvList("No environment variables set")).toEqual({});
    expect(parseEnvList(`HALF="open`)).toEqual({ HALF: '"open' });
  });

  it("refuses a listing of names without values, which would make every variable look missing", () => {
    expect(fromEnvList("CLERK_JWT_ISSUER_DOMAIN\nCLERK_WEBHOOK_SECRET\n")).toEqual({
      why: "`npx convex env list` printed names without values",
    });
    expect(fromEnvList("A=1\n")).toEqual({ vars: { A: "1" } });
  });

  it("takes the CLI's last stderr line, without colours, as the reason it failed", () => {
    expect(lastErrorLine("\u001b[31m✖ Error: not logged in\u001b[39m\n\n")).toBe("✖ Error: not logged in");
    expect(lastErrorLine(" \n")).toBeNull();
  });
});

describe("npm run doctor", () => {
  type Listing = Awaited<ReturnType<DoctorDeps["readDeploymentEnv"]>>;
  function deps(env: Record<string, string | undefined>, fetchFn?: typeof fetch, listing?: Listing) {
    const lines: string[] = [];
    const listings: Listing[] = [];
    /** The environment each `npx convex env list` would have run with. */
    const listedWith: Record<string, string | undefined>[] = [];
    const injected: DoctorDeps = {
      env,
      fetch: fetchFn ?? (() => Promise.reject(new Error("no network in tests"))),
      readAuthConfig: () => Promise.resolve(AUTH_CONFIG),
      readDeploymentEnv: (cliEnv) => {
        const result = listing ?? { why: "no Convex CLI in tests" };
        listings.push(result);
        listedWith.push(cliEnv);
        return Promise.resolve(result);
      },
      offlineApiKey: () => "oik_test",
      nowSeconds: NOW,
      print: (line) => lines.push(line),
    };
    return { lines, injected, listings, listedWith };
  }
  const webhookUrl = ["--webhook-url", "https://happy-animal-123.convex.site/webhooks/clerk"];
  const flags = ["--issuer-domain", ISSUER, "--webhook-secret", WEBHOOK_SECRET, ...webhookUrl];

  it("exits 0 for a clean connected configuration", async () => {
    const { lines, injected, listings } = deps(CONNECTED_ENV);
    expect(await main([...flags, "--token", token({})], injected)).toBe(0);
    expect(lines.every((line) => !line.startsWith("✗") && !line.startsWith("?"))).toBe(true);
    // Both variables were given, so there was nothing to ask the deployment.
    expect(listings).toEqual([]);
  });

  it("checks the variables listed by the deployment without any flag", async () => {
    const { lines, injected, listings } = deps(CONNECTED_ENV, undefined, {
      vars: { CLERK_JWT_ISSUER_DOMAIN: OTHER_ISSUER, CLERK_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
    expect(await main([...webhookUrl, "--token", token({ iss: OTHER_ISSUER })], injected)).toBe(1);
    expect(listings).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith("✗"))).toEqual([
      `✗ CLERK_JWT_ISSUER_DOMAIN is ${OTHER_ISSUER} but the publishable key belongs to ${ISSUER}: Convex would refuse this instance's tokens — fix: run \`npx convex env set CLERK_JWT_ISSUER_DOMAIN ${ISSUER}\` (Clerk dashboard → API keys → Frontend API URL)`,
    ]);
    expect(lines).toContain("✓ CLERK_WEBHOOK_SECRET: well-formed signing secret");
  });

  it("prefers flags to the deployment's listing, and the listing to the local environment", async () => {
    const listing = { vars: { CLERK_JWT_ISSUER_DOMAIN: OTHER_ISSUER, CLERK_WEBHOOK_SECRET: WEBHOOK_SECRET } };
    const flagged = deps(CONNECTED_ENV, undefined, listing);
    expect(await main(["--issuer-domain", ISSUER, ...webhookUrl, "--token", token({})], flagged.injected)).toBe(0);
    expect(flagged.listings).toHaveLength(1);

    const local = deps({ ...CONNECTED_ENV, CLERK_JWT_ISSUER_DOMAIN: ISSUER }, undefined, listing);
    expect(await main([...webhookUrl, "--token", token({ iss: OTHER_ISSUER })], local.injected)).toBe(1);
    expect(local.lines.filter((line) => line.startsWith("✗"))).toEqual([
      expect.stringMatching(/^✗ CLERK_JWT_ISSUER_DOMAIN is https:\/\/other-instance-1/),
    ]);

    // The deployment was read and lacks it: .env.local does not stand in for it.
    const missing = deps({ ...CONNECTED_ENV, CLERK_JWT_ISSUER_DOMAIN: ISSUER }, undefined, {
      vars: { CLERK_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
    expect(await main([...webhookUrl, "--token", token({})], missing.injected)).toBe(1);
    expect(missing.lines.filter((line) => line.startsWith("✗"))).toEqual([
      expect.stringMatching(
        /^✗ convex\/auth\.config\.ts reads its domain from CLERK_JWT_ISSUER_DOMAIN, which the deployment does not have/,
      ),
    ]);
  });

  it("says why the deployment's variables could not be read, without failing", async () => {
    const args = ["--issuer-domain", ISSUER, ...webhookUrl, "--token", token({})];
    const failing = deps(CONNECTED_ENV, undefined, { why: "`npx convex env list` timed out after 30 s" });
    const skipped = deps(CONNECTED_ENV);
    expect(await main(args, failing.injected)).toBe(0);
    expect(await main([...args, "--no-deployment"], skipped.injected)).toBe(0);
    expect(failing.lines.filter((line) => line.startsWith("?"))).toEqual([
      "? could not check: the deployment's variables: `npx convex env list` timed out after 30 s (run `npx convex env list` yourself and pass --issuer-domain / --webhook-secret)",
      expect.stringMatching(/^\? could not check: the deployment's CLERK_WEBHOOK_SECRET is not readable from here/),
    ]);
  });

  it("does not list the deployment's variables with --no-deployment, or offline", async () => {
    const skipped = deps(CONNECTED_ENV, undefined, { vars: {} });
    await main(["--no-deployment", "--token", token({})], skipped.injected);
    expect(skipped.listings).toEqual([]);
    expect(skipped.lines.filter((line) => line.startsWith("✗"))).toEqual([]);
    const offline = deps({}, undefined, { vars: {} });
    await main([], offline.injected);
    expect(offline.listings).toEqual([]);
  });

  it("exits 1 for a broken configuration", async () => {
    const { lines, injected } = deps({
      ...CONNECTED_ENV,
      NEXT_PUBLIC_CONVEX_URL: "https://happy-animal-123.convex.site",
    });
    expect(await main([...flags, "--token", token({})], injected)).toBe(1);
    expect(lines.at(-1)).toMatch(/^1 problem found/);
  });

  it("exits 0 offline with nothing running, saying what it could not check", async () => {
    const { lines, injected } = deps({});
    expect(await main([], injected)).toBe(0);
    expect(lines.filter((line) => line.startsWith("? could not check:"))).toHaveLength(3);
  });

  it("mints a sample token from the offline identity provider", async () => {
    const idp = "http://127.0.0.1:3212";
    const requests: string[] = [];
    const fakeFetch = ((input: string | URL | Request, init?: RequestInit) => {
      const url = String(input);
      requests.push(`${init?.method ?? "GET"} ${url}`);
      // The provider signs people in only for callers with its API key.
      if (url.includes("/sessions") && new Headers(init?.headers).get("authorization") !== "Bearer oik_test") {
        return Promise.resolve(new Response("{}", { status: 401 }));
      }
      const body: unknown = url.endsWith("/openid-configuration")
        ? { issuer: idp }
        : url.endsWith("/sessions")
          ? { id: "sess_1" }
          : url.endsWith("/sessions/sess_1/token")
            ? { jwt: token({ iss: idp, aud: "convex", o: undefined }) }
            : { version: "offline" };
      return Promise.resolve(new Response(JSON.stringify(body)));
    }) as typeof fetch;
    const { lines, injected } = deps({}, fakeFetch);
    expect(await main([], injected)).toBe(1);
    expect(requests).toContain(`POST ${idp}/sessions`);
    expect(lines.filter((line) => line.startsWith("✗"))).toEqual([expect.stringMatching(/no organization claims/)]);
  });

  it("exits 2 on an unknown flag", async () => {
    const { injected } = deps({});
    expect(await main(["--nope"], injected)).toBe(2);
  });

  it("lists a self-hosted backend's variables with its URL and admin key, without CONVEX_DEPLOYMENT", async () => {
    const listing = { vars: { CLERK_JWT_ISSUER_DOMAIN: ISSUER, CLERK_WEBHOOK_SECRET: WEBHOOK_SECRET } };
    const { lines, injected, listedWith } = deps(SELF_HOSTED_ENV, undefined, listing);
    const args = ["--webhook-url", `${SELF_HOSTED_SITE}/webhooks/clerk`, "--token", token({})];
    expect(await main(args, injected)).toBe(0);
    expect(listedWith).toEqual([expect.objectContaining(SELF_HOSTED_ENV)]);
    expect(listedWith[0]).not.toHaveProperty("CONVEX_DEPLOYMENT");
    expect(lines[1]).toBe(
      "✓ connected mode: self-hosted Convex backend at http://convex.internal:3210 with Clerk keys",
    );
    expect(lines.filter((line) => /^[✗?]/.test(line))).toEqual([]);
  });

  it("exits 0 for correct regional, custom-domain and trailing-slash setups", async () => {
    const regional = deps({ ...CONNECTED_ENV, NEXT_PUBLIC_CONVEX_URL: REGIONAL_URL });
    const regionalArgs = ["--issuer-domain", `${ISSUER}/`, "--webhook-secret", WEBHOOK_SECRET];
    const webhook = ["--webhook-url", "https://happy-animal-123.eu-west-1.convex.site/webhooks/clerk"];
    expect(await main([...regionalArgs, ...webhook, "--token", token({})], regional.injected)).toBe(0);
    expect(regional.lines.filter((line) => /^[✗?]/.test(line))).toEqual([]);

    const custom = deps({ ...CONNECTED_ENV, NEXT_PUBLIC_CONVEX_URL: "https://api.example.com" });
    expect(await main([...flags, "--token", token({})], custom.injected)).toBe(0);
    expect(custom.lines.filter((line) => line.startsWith("✗"))).toEqual([]);
  });

  it("refuses both deployment configurations at once, as the Convex CLI does, without asking it", async () => {
    const { lines, injected, listings } = deps({ ...SELF_HOSTED_ENV, CONVEX_DEPLOYMENT: "dev:happy-animal-123" });
    expect(await main(["--token", token({})], injected)).toBe(1);
    expect(listings).toEqual([]);
    expect(lines.filter((line) => line.startsWith("✗"))).toEqual([
      "✗ two deployment configurations: CONVEX_DEPLOYMENT and CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY are all set, naming a Convex deployment and a self-hosted backend at once: the Convex CLI refuses to run with both — fix: remove CONVEX_DEPLOYMENT (to use the self-hosted backend) or CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY (to use the deployment) from .env.local and the shell",
    ]);
  });

  it("says how to get a sample token on both of Clerk's token paths, and how to tell them apart", async () => {
    const { lines, injected } = deps(CONNECTED_ENV);
    await main([...flags], injected);
    expect(lines).toContain(`? could not check: sample token: ${sampleTokenHint()}`);
    expect(sampleTokenHint()).toBe(
      "pass one with --token <jwt> (in the signed-in app's browser console: `await window.Clerk.session.getToken()` with Clerk's Convex integration, " +
        '`await window.Clerk.session.getToken({ template: "convex" })` with the `convex` JWT template; ' +
        'to tell which your instance uses: `window.Clerk.session.lastActiveToken?.jwt?.claims.aud` is "convex" only with the integration)',
    );
  });
});

describe("facts shared with the deployment", () => {
  it("checks the webhook secret with the rule the webhook itself applies", async () => {
    const { WEBHOOK_SECRET_FORMAT } = await import("../../convex/model/env");
    expect(DOCTOR_SECRET_FORMAT.source).toBe(WEBHOOK_SECRET_FORMAT.source);
    expect(DOCTOR_SECRET_FORMAT.flags).toBe(WEBHOOK_SECRET_FORMAT.flags);
  });
});
