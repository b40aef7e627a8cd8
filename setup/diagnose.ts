/**
 * Why a signed-in user cannot reach their workspace, in words a developer can act on: the cause,
 * what was seen, and the fix. Pure functions of what the browser observed (the token the auth
 * adapter handed to Convex, Convex's refusal message, what `users.*` answered), so each cause is
 * tested without a browser. The workspace shows the result in full in development (and offline);
 * in production the user gets a short message and the console gets `consoleReport`.
 */
import { DEFAULT_OFFLINE_IDP_URL, type AuthMode } from "./config";

import { CONVEX_AUDIENCE, sameIssuer, summarizeToken, type TokenSummary } from "./token-claims";

export type AuthProblemCause =
  /** The identity provider gave no token for Convex (no `convex` JWT template, provider unreachable). */
  | "no-token"
  | "not-a-jwt"
  | "wrong-audience"
  | "wrong-issuer"
  | "expired"
  /** Convex refused a token that looks right from here: the deployment's side is out of step. */
  | "token-refused"
  /** Convex accepted the token, but it names no organization while the provider has one active. */
  | "no-org-claims"
  /** The deployment does not have this app's functions (never pushed, or an older version). */
  | "functions-missing"
  /** Convex accepted the token, but the user's rows could not be created or found. */
  | "not-provisioned";

export type AuthDiagnosis = {
  cause: AuthProblemCause;
  /** Names the cause: the banner's heading. */
  title: string;
  /** What is wrong, with the values seen. */
  detail: string;
  /** What to do, in order. Text in `backticks` is a command or a value to copy. */
  fix: string[];
  /** The documentation section that covers this: its file, the app's page for it, its heading's anchor. */
  docs: { file: string; path: string; anchor: string; label: string };
  /** What the app saw, for the banner's details and the console. */
  facts: Array<{ label: string; value: string }>;
};

export type DiagnosisContext = {
  mode: AuthMode;
  /** The `iss` the provider's tokens should carry (Clerk: from the publishable key; offline: the IdP). */
  issuer: string | null;
};

/** Troubleshooting in docs/going-live.md, which the app serves at /docs/going-live. */
const TROUBLESHOOTING = { file: "docs/going-live.md", path: "/docs/going-live" } as const;

/** The headings the banner links to (GitHub-style anchors). */
export const DOCS = {
  tokenRefused: { ...TROUBLESHOOTING, anchor: "convex-refused-the-token", label: "Convex refused the token" },
  noOrgClaims: {
    ...TROUBLESHOOTING,
    anchor: "the-token-has-no-organization-claims",
    label: "The token has no organization claims",
  },
  notProvisioned: { ...TROUBLESHOOTING, anchor: "the-user-is-not-provisioned", label: "The user is not provisioned" },
  functionsMissing: {
    ...TROUBLESHOOTING,
    anchor: "the-deployment-has-no-functions",
    label: "The deployment has no functions",
  },
} as const;

const ISSUER_SET = "npx convex env set CLERK_JWT_ISSUER_DOMAIN";
const RESTORE_OFFLINE_TOKENS = "`curl -X DELETE <idp>/token-settings` (or restart `npm run dev`)";

function show(value: string | null | undefined): string {
  return value === null || value === undefined || value === "" ? "(none)" : value;
}

function tokenFacts(summary: TokenSummary): Array<{ label: string; value: string }> {
  return [
    { label: "Token issuer (iss)", value: show(summary.iss) },
    { label: "Token audience (aud)", value: summary.audiences.length === 0 ? "(none)" : summary.audiences.join(", ") },
    { label: "Token organization", value: show(summary.orgId) },
    {
      label: "Token expires",
      value: summary.exp === null ? "(no exp)" : new Date(summary.exp * 1000).toISOString(),
    },
  ];
}

function offlineRestore(context: DiagnosisContext): string {
  return RESTORE_OFFLINE_TOKENS.replace("<idp>", context.issuer ?? DEFAULT_OFFLINE_IDP_URL);
}

/** The configured providers Convex lists in some refusals ("…[OIDC(domain=…, app_id=…)]"). */
function trustedByDeployment(refusal: string | null): string | null {
  if (refusal === null) return null;
  const providers = [...refusal.matchAll(/domain=([^,\])\s]+)[^\])]*?app_id=([^,\])\s]+)/g)].map(
    ([, domain, app]) => `${domain} (audience ${app})`,
  );
  return providers.length === 0 ? null : providers.join("; ");
}

export type RefusalEvidence = {
  /** The adapter's last token, or null with the error when it had none. Null: nothing fetched yet. */
  token: { value: string | null; error: string | null } | null;
  /** Convex's refusal message, when its client logged one. */
  refusal: string | null;
};

/**
 * Signed in with the provider, but Convex did not accept the session. Reads the token the adapter
 * handed over: its `aud` and `iss` against what convex/auth.config.ts trusts, and its `exp`.
 */
export function diagnoseRefusedToken(
  context: DiagnosisContext,
  evidence: RefusalEvidence,
  nowSeconds: number,
): AuthDiagnosis {
  const docs = DOCS.tokenRefused;
  const said = evidence.refusal === null ? [] : [{ label: "Convex said", value: evidence.refusal }];
  const clerk = context.mode === "clerk";
  const token = evidence.token;

  if (token === null || token.value === null) {
    const why = token?.error ?? null;
    return {
      cause: "no-token",
      title: clerk ? "Clerk gave no token for Convex" : "The offline identity provider gave no token",
      detail: clerk
        ? `You are signed in to Clerk, but asking it for a Convex token ${why === null ? "returned nothing" : `failed: ${why}`}. Clerk issues one only when its Convex integration is active or a JWT template named "convex" exists.`
        : `You are signed in, but the offline identity provider ${why === null ? "returned no token" : `could not be asked for a token: ${why}`}.`,
      fix: clerk
        ? [
            "Clerk dashboard → Integrations → Convex → activate; or Clerk dashboard → JWT templates → New → Convex, named exactly `convex`.",
            "Reload this page.",
          ]
        : [
            `Start the offline stack with \`npm run dev\` (it runs the identity provider at ${DEFAULT_OFFLINE_IDP_URL}).`,
            "Reload this page.",
          ],
      docs,
      facts: [...(why === null ? [] : [{ label: "Token request failed with", value: why }]), ...said],
    };
  }

  const summary = summarizeToken(token.value);
  if (summary === null) {
    return {
      cause: "not-a-jwt",
      title: "The session token is not a JWT",
      detail:
        "Convex accepts only signed JWTs from the issuer in convex/auth.config.ts, and the token handed to it is not one.",
      fix: clerk
        ? [
            "Let ConvexProviderWithClerk get the token (it asks Clerk for the `convex` template); do not pass another string as the token.",
          ]
        : ["Restart `npm run dev`: the offline identity provider signs every token it issues."],
      docs,
      facts: said,
    };
  }

  const facts = [...tokenFacts(summary), { label: "Expected issuer", value: show(context.issuer) }, ...said];
  const trusted = trustedByDeployment(evidence.refusal);
  if (trusted !== null) facts.push({ label: "The deployment trusts", value: trusted });

  if (!summary.audiences.includes(CONVEX_AUDIENCE)) {
    const aud = summary.audiences.length === 0 ? "no audience" : `audience "${summary.audiences.join('", "')}"`;
    return {
      cause: "wrong-audience",
      title: `The token's audience is not "${CONVEX_AUDIENCE}"`,
      detail: `Convex refused the token because it has ${aud}; convex/auth.config.ts accepts only tokens for "${CONVEX_AUDIENCE}" (applicationID).`,
      fix: clerk
        ? [
            'Clerk dashboard → Integrations → Convex → activate (its session tokens carry aud "convex"); or, in the JWT template named `convex`, set the claim `"aud": "convex"`.',
            "Sign out and in again, or reload, so a new token is issued.",
          ]
        : [
            `The offline identity provider was told to issue tokens for another audience: restore it with ${offlineRestore(context)}.`,
            "Reload this page.",
          ],
      docs,
      facts,
    };
  }

  if (context.issuer !== null && (summary.iss === null || !sameIssuer(summary.iss, context.issuer))) {
    return {
      cause: "wrong-issuer",
      title: "The token comes from another issuer",
      detail: `The token's issuer is ${show(summary.iss)}, but this app's ${clerk ? "publishable key belongs to" : "identity provider is"} ${context.issuer}, the issuer Convex is set up to trust.`,
      fix: clerk
        ? [
            "Use the publishable and secret keys of the Clerk instance whose tokens you want (Clerk dashboard → API keys), in `.env.local`.",
            `Make the deployment trust that instance: \`${ISSUER_SET} ${context.issuer}\`.`,
            "Restart `npm run dev` so the keys are rebuilt into the app.",
          ]
        : [
            "The app and the offline stack disagree on the identity provider's address (NEXT_PUBLIC_OFFLINE_IDP_URL): unset it, or start both with `npm run dev`.",
          ],
      docs,
      facts,
    };
  }

  if (summary.exp !== null && summary.exp <= nowSeconds) {
    return {
      cause: "expired",
      title: "The token had expired",
      detail: `The token expired at ${new Date(summary.exp * 1000).toISOString()}, and this computer's clock says ${new Date(nowSeconds * 1000).toISOString()}. A clock far off makes every fresh token look expired (or not yet valid).`,
      fix: ["Set this computer's clock to the right time (turn on automatic time).", "Reload this page."],
      docs,
      facts,
    };
  }

  return {
    cause: "token-refused",
    title: "Convex refused the session token",
    detail: clerk
      ? `The token looks right from here (issuer ${show(summary.iss)}, audience "${CONVEX_AUDIENCE}"), so the deployment's side is out of step: its CLERK_JWT_ISSUER_DOMAIN is unset or names another instance, or convex/auth.config.ts was not pushed.`
      : `The token looks right from here (issuer ${show(summary.iss)}, audience "${CONVEX_AUDIENCE}"), but the offline Convex server did not accept it.`,
    fix: clerk
      ? [
          `Set the issuer on the deployment: \`${ISSUER_SET} ${summary.iss ?? context.issuer ?? "https://<your-frontend-api>"}\` (no trailing slash).`,
          "Keep `npx convex dev` running (or run `npx convex deploy`) so convex/auth.config.ts is pushed.",
          "Run `npm run doctor` to check the rest of the configuration, then reload this page.",
        ]
      : ["Restart `npm run dev` (the offline Convex server trusts the identity provider it starts with), then reload."],
    docs,
    facts,
  };
}

/**
 * Convex accepted the token but it names no organization, while the provider has one active: the
 * token is made without the organization claims this app reads.
 */
export function diagnoseMissingOrgClaims(
  context: DiagnosisContext,
  token: string | null,
  activeOrgId: string,
): AuthDiagnosis {
  const summary = token === null ? null : summarizeToken(token);
  const clerk = context.mode === "clerk";
  return {
    cause: "no-org-claims",
    title: "The token has no organization claims",
    detail: `Organization ${activeOrgId} is active in your ${clerk ? "Clerk" : "identity provider"} session, but the token Convex received does not name it, so every organization page would answer "No active organization".`,
    fix: clerk
      ? [
          'Clerk dashboard → Integrations → Convex → activate (session tokens then carry the `o` claim); or add these claims to the JWT template named `convex`: `"org_id": "{{org.id}}"`, `"org_role": "{{org.role}}"`, `"org_slug": "{{org.slug}}"`.',
          "Reload this page so a new token is issued.",
        ]
      : [
          `The offline identity provider was told to leave organization claims out: restore it with ${offlineRestore(context)}.`,
          "Reload this page.",
        ],
    docs: DOCS.noOrgClaims,
    facts: [{ label: "Active organization", value: activeOrgId }, ...(summary === null ? [] : tokenFacts(summary))],
  };
}

const MISSING_FUNCTION = /Could not find (public )?function/i;

/** Convex's answer when the deployment has no function by the name called. */
export function isMissingFunction(message: string): boolean {
  return MISSING_FUNCTION.test(message);
}

/**
 * A failure of `users.me` / `users.ensure` / `organizations.current`, by its raw message: the
 * deployment lacking the app's functions, or the user's rows not provisioned.
 */
export function diagnoseBackendFailure(context: DiagnosisContext, message: string): AuthDiagnosis {
  if (isMissingFunction(message)) {
    return {
      cause: "functions-missing",
      title: "The deployment does not have this app's functions",
      detail:
        "Convex answered that a function this app calls does not exist on the deployment: the code in convex/ was never pushed there, or an older version was.",
      fix:
        context.mode === "clerk"
          ? [
              'Run `npx convex dev` (development) or `npx convex deploy` (production) and wait for "Convex functions ready!".',
              "Check that NEXT_PUBLIC_CONVEX_URL is that deployment's URL, then reload.",
            ]
          : ["Restart `npm run dev`: the offline Convex server loads convex/ when it starts."],
      docs: DOCS.functionsMissing,
      facts: [{ label: "Convex said", value: message }],
    };
  }
  return diagnoseNotProvisioned(context, message);
}

/** Convex accepted the token, but `users.ensure` failed or the organization is still not set up. */
export function diagnoseNotProvisioned(context: DiagnosisContext, message: string | null): AuthDiagnosis {
  return {
    cause: "not-provisioned",
    title: "Your user is not provisioned in Convex",
    detail: `Convex accepted your token, but the rows for you in this organization ${message === null ? "were not there after users.ensure" : `could not be created (users.ensure failed: ${message})`}. They come from Clerk's webhooks and, on first sign-in, from the token itself.`,
    fix:
      context.mode === "clerk"
        ? [
            "Check the webhook: Clerk dashboard → Webhooks → your endpoint is `https://<deployment>.convex.site/webhooks/clerk`, and its recent deliveries succeed.",
            "Check that CLERK_WEBHOOK_SECRET on the deployment is that endpoint's signing secret (`npx convex env list`), and the Convex dashboard's logs for clerkWebhook errors.",
            "Reload this page.",
          ]
        : ["Restart `npm run dev` (add `-- --reset` to start from the demo data), then reload."],
    docs: DOCS.notProvisioned,
    facts: message === null ? [] : [{ label: "Convex said", value: message }],
  };
}

/** The whole diagnosis as one console message (production logs it; development shows it too). */
export function consoleReport(diagnosis: AuthDiagnosis): string {
  const lines = [
    `[auth] ${diagnosis.title} (${diagnosis.cause})`,
    diagnosis.detail,
    ...diagnosis.facts.map(({ label, value }) => `  ${label}: ${value}`),
    "Fix:",
    ...diagnosis.fix.map((step, index) => `  ${index + 1}. ${step}`),
    `See ${diagnosis.docs.file} → "${diagnosis.docs.label}" (#${diagnosis.docs.anchor}).`,
  ];
  return lines.join("\n");
}
