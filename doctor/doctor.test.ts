// @vitest-environment node
import { UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { diagnose, exitCode, publishableKeyHost, render, type DoctorInputs, type Finding } from "./checks";
import { main, type DoctorDeps } from "./cli";

const HOST = "example.clerk.accounts.dev";
const PUBLISHABLE = `pk_test_${Buffer.from(`${HOST}$`).toString("base64")}`;
const ISSUER = `https://${HOST}`;
const NOW = 1_800_000_000;
const AUTH_CONFIG = `const domain = process.env.CLERK_JWT_ISSUER_DOMAIN;
export default { providers: [{ domain, applicationID: "convex" }] };`;

const CONNECTED_ENV = {
  CONVEX_DEPLOYMENT: "dev:happy-animal-123",
  NEXT_PUBLIC_CONVEX_URL: "https://happy-animal-123.convex.cloud",
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: PUBLISHABLE,
  CLERK_SECRET_KEY: "sk_test_abcdefghijklmnopqrstuvwxyz",
};

function token(claims: Record<string, unknown>): string {
  return new UnsecuredJWT({
    iss: ISSUER,
    aud: "convex",
    sub: "user_1",
    exp: NOW + 60,
    o: { id: "org_1", rol: "admin" },
    ...claims,
  }).encode();
}

function clean(overrides: Partial<DoctorInputs> = {}): DoctorInputs {
  return {
    env: { ...CONNECTED_ENV },
    issuerDomain: ISSUER,
    webhookSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
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

  it("refuses a Convex URL that is not a .convex.cloud client URL", () => {
    expectOneProblem(withEnv({ NEXT_PUBLIC_CONVEX_URL: "https://example.com" }), /not a Convex cloud client URL/);
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

  it("refuses an issuer domain with a trailing slash", () => {
    // The token's iss is the bare origin, so it does not match the issuer given either.
    const findings = diagnose(clean({ issuerDomain: `${ISSUER}/` }));
    const lines = render(findings).filter((line) => line.startsWith("✗"));
    expect(lines[0]).toMatch(/must be the bare origin/);
    expect(lines[0]).toContain(`npx convex env set CLERK_JWT_ISSUER_DOMAIN ${ISSUER}`);
    expect(exitCode(findings)).toBe(1);
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
      { o: undefined, org_id: "org_1" },
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

describe("npm run doctor", () => {
  function deps(env: Record<string, string | undefined>, fetchFn?: typeof fetch) {
    const lines: string[] = [];
    const injected: DoctorDeps = {
      env,
      fetch: fetchFn ?? (() => Promise.reject(new Error("no network in tests"))),
      readAuthConfig: () => Promise.resolve(AUTH_CONFIG),
      nowSeconds: NOW,
      print: (line) => lines.push(line),
    };
    return { lines, injected };
  }
  const flags = [
    "--issuer-domain",
    ISSUER,
    "--webhook-secret",
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "--webhook-url",
    "https://happy-animal-123.convex.site/webhooks/clerk",
  ];

  it("exits 0 for a clean connected configuration", async () => {
    const { lines, injected } = deps(CONNECTED_ENV);
    expect(await main([...flags, "--token", token({})], injected)).toBe(0);
    expect(lines.every((line) => !line.startsWith("✗") && !line.startsWith("?"))).toBe(true);
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
});
