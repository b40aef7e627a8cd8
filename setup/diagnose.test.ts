import { readFileSync } from "node:fs";

import GithubSlugger from "github-slugger";
import { UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";

import { refusalFromLogLine } from "./auth-probe";
import {
  consoleReport,
  diagnoseBackendFailure,
  diagnoseMissingOrgClaims,
  diagnoseNotProvisioned,
  diagnoseRefusedToken,
  DOCS,
  type DiagnosisContext,
} from "./diagnose";
import { issuerOfPublishableKey, publishableKeyHost, summarizeToken } from "./token-claims";

const NOW = 1_800_000_000;
const CLERK_ISSUER = "https://verb-noun-12.clerk.accounts.dev";
const clerk: DiagnosisContext = { mode: "clerk", issuer: CLERK_ISSUER };
const offline: DiagnosisContext = { mode: "offline", issuer: "http://127.0.0.1:3212" };

/** A token shaped like the app's (`decodeJwt` reads it; nothing here verifies signatures). */
function token(claims: Record<string, unknown> = {}): string {
  return new UnsecuredJWT({
    iss: CLERK_ISSUER,
    sub: "user_1",
    aud: "convex",
    iat: NOW - 10,
    exp: NOW + 50,
    v: 2,
    o: { id: "org_1", rol: "admin", slg: "acme" },
    ...claims,
  }).encode();
}

const refused = (context: DiagnosisContext, value: string | null, refusal: string | null = null, error?: string) =>
  diagnoseRefusedToken(context, { token: { value, error: error ?? null }, refusal }, NOW);

const fact = (diagnosis: { facts: Array<{ label: string; value: string }> }, label: string) =>
  diagnosis.facts.find((f) => f.label === label)?.value;

describe("diagnoseRefusedToken", () => {
  it("no token from Clerk: names the error and the convex JWT template or integration", () => {
    const d = refused(clerk, null, null, "No JWT template exists with name: convex");
    expect(d.cause).toBe("no-token");
    expect(d.detail).toContain("No JWT template exists with name: convex");
    expect(d.fix.join(" ")).toMatch(/Integrations → Convex/);
    expect(d.fix.join(" ")).toMatch(/JWT templates → New → Convex, named exactly `convex`/);
    expect(d.docs).toEqual(DOCS.tokenRefused);
  });

  it("nothing fetched yet counts as no token, offline pointing at npm run dev", () => {
    const d = diagnoseRefusedToken(offline, { token: null, refusal: null }, NOW);
    expect(d.cause).toBe("no-token");
    expect(d.fix.join(" ")).toContain("`npm run dev`");
  });

  it("a token that is not a JWT", () => {
    expect(refused(clerk, "not-a-token").cause).toBe("not-a-jwt");
  });

  it("wrong audience: says which audience, and how to restore the offline provider's tokens", () => {
    const d = refused(
      offline,
      token({ iss: offline.issuer, aud: "not-convex" }),
      "No auth provider found matching the given token",
    );
    expect(d.cause).toBe("wrong-audience");
    expect(d.detail).toContain('audience "not-convex"');
    expect(d.fix[0]).toContain("`curl -X DELETE http://127.0.0.1:3212/token-settings`");
    expect(fact(d, "Convex said")).toBe("No auth provider found matching the given token");
    expect(fact(d, "Token audience (aud)")).toBe("not-convex");
  });

  it("wrong audience with Clerk: the integration or the template's aud claim", () => {
    const d = refused(clerk, token({ aud: undefined }));
    expect(d.cause).toBe("wrong-audience");
    expect(d.detail).toContain("no audience");
    expect(d.fix[0]).toContain('`"aud": "convex"`');
  });

  it("accepts the audience among several", () => {
    expect(refused(clerk, token({ aud: ["other", "convex"] })).cause).toBe("token-refused");
  });

  it("wrong issuer: the token's instance against the publishable key's", () => {
    const d = refused(clerk, token({ iss: "https://other-instance-1.clerk.accounts.dev" }));
    expect(d.cause).toBe("wrong-issuer");
    expect(d.detail).toContain("https://other-instance-1.clerk.accounts.dev");
    expect(d.detail).toContain(CLERK_ISSUER);
    expect(d.fix.join(" ")).toContain(`\`npx convex env set CLERK_JWT_ISSUER_DOMAIN ${CLERK_ISSUER}\``);
  });

  it("an issuer differing only by a trailing slash is the same issuer", () => {
    expect(refused(clerk, token({ iss: `${CLERK_ISSUER}/` })).cause).toBe("token-refused");
  });

  it("expired: points at the clock", () => {
    const d = refused(clerk, token({ exp: NOW - 600 }));
    expect(d.cause).toBe("expired");
    expect(d.fix[0]).toMatch(/clock/);
  });

  it("a right-looking token Convex refused: the deployment's issuer variable, and who it trusts", () => {
    const said =
      "No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: [OIDC(domain=https://old-instance-9.clerk.accounts.dev, app_id=convex)]";
    const d = refused(clerk, token(), said);
    expect(d.cause).toBe("token-refused");
    expect(d.fix[0]).toBe(
      `Set the issuer on the deployment: \`npx convex env set CLERK_JWT_ISSUER_DOMAIN ${CLERK_ISSUER}\` (no trailing slash).`,
    );
    expect(fact(d, "The deployment trusts")).toBe("https://old-instance-9.clerk.accounts.dev (audience convex)");
  });
});

describe("diagnoseMissingOrgClaims", () => {
  it("names the active organization and the claims to add", () => {
    const d = diagnoseMissingOrgClaims(clerk, token({ o: undefined }), "org_42");
    expect(d.cause).toBe("no-org-claims");
    expect(d.detail).toContain("org_42");
    expect(d.fix[0]).toContain('"org_id": "{{org.id}}"');
    expect(fact(d, "Token organization")).toBe("(none)");
    expect(d.docs).toEqual(DOCS.noOrgClaims);
  });

  it("offline: how to restore the provider's organization claims", () => {
    const d = diagnoseMissingOrgClaims(offline, null, "org_42");
    expect(d.fix[0]).toContain("/token-settings");
    expect(fact(d, "Token organization")).toBeUndefined();
  });
});

describe("diagnoseBackendFailure", () => {
  it("a function the deployment lacks means the code was not pushed", () => {
    const d = diagnoseBackendFailure(
      clerk,
      "[CONVEX M(users:ensure)] Could not find public function for 'users:ensure'. Did you forget to run `npx convex dev` or `npx convex deploy`?",
    );
    expect(d.cause).toBe("functions-missing");
    expect(d.fix[0]).toContain("`npx convex dev`");
    expect(d.docs).toEqual(DOCS.functionsMissing);
  });

  it("any other failure of users.ensure: the user is not provisioned, webhook steps first", () => {
    const d = diagnoseBackendFailure(clerk, "[Request ID: 1] Server Error");
    expect(d.cause).toBe("not-provisioned");
    expect(d.detail).toContain("Server Error");
    expect(d.fix[0]).toContain("/webhooks/clerk");
    expect(diagnoseNotProvisioned(offline, null).fix[0]).toContain("npm run dev");
  });
});

describe("consoleReport", () => {
  it("carries the cause, what was seen, the fix and the README section", () => {
    const d = refused(offline, token({ iss: offline.issuer, aud: "not-convex" }), "No auth provider found");
    const report = consoleReport(d);
    expect(report).toContain("(wrong-audience)");
    expect(report).toContain("Token audience (aud): not-convex");
    expect(report).toContain("1. The offline identity provider");
    expect(report).toContain(`#${DOCS.tokenRefused.anchor}`);
  });
});

describe("the documentation sections the banner links to", () => {
  it("exist, with the anchors GitHub and the /docs pages give them", () => {
    for (const { file, path, anchor } of Object.values(DOCS)) {
      const slugger = new GithubSlugger();
      const anchors = readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => /^#{1,6} /.test(line))
        .map((line) => slugger.slug(line.replace(/^#+ /, "")));
      expect(anchors).toContain(anchor);
      expect(path).toBe(`/docs/${file.replace(/^docs\/|\.md$/g, "")}`);
    }
  });
});

describe("refusalFromLogLine", () => {
  it("reads Convex's reason from its client's log line", () => {
    expect(
      refusalFromLogLine([
        'Failed to authenticate: "No auth provider found matching the given token", check your server auth config',
      ]),
    ).toBe("No auth provider found matching the given token");
    expect(
      refusalFromLogLine(["attempting to reauthenticate: No auth provider found matching the given token [v3]"]),
    ).toBe("No auth provider found matching the given token");
    expect(refusalFromLogLine(["Something else"])).toBeNull();
    expect(refusalFromLogLine([new Error("x")])).toBeNull();
  });
});

describe("token claims", () => {
  it("reads the publishable key's instance (base64 of host$)", () => {
    const key = `pk_test_${btoa("verb-noun-12.clerk.accounts.dev$")}`;
    expect(publishableKeyHost(key)).toBe("verb-noun-12.clerk.accounts.dev");
    expect(issuerOfPublishableKey(key)).toBe(CLERK_ISSUER);
    expect(issuerOfPublishableKey("pk_test_bm90LWEtaG9zdA==")).toBeNull();
    expect(issuerOfPublishableKey("")).toBeNull();
  });

  it("finds the organization in each of Clerk's shapes", () => {
    expect(summarizeToken(token())?.orgId).toBe("org_1");
    expect(summarizeToken(token({ o: undefined, "o.id": "org_2" }))?.orgId).toBe("org_2");
    // Without `v: 2` a token is read as a JWT template, as Convex's functions and Clerk read it.
    expect(summarizeToken(token({ v: undefined, o: undefined, org_id: "org_3" }))?.orgId).toBe("org_3");
    expect(summarizeToken(token({ v: undefined, org_id: "org_3" }))?.orgId).toBe("org_3");
    expect(summarizeToken(token({ v: undefined, o: undefined, org_id: "" }))?.orgId).toBeNull();
    expect(summarizeToken(token({ sts: "pending" }))?.pending).toBe(true);
    expect(summarizeToken("x.y")).toBeNull();
  });
});
