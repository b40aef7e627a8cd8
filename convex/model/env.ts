// Deployment variables are read from `process.env`, not `env` from `_generated/server`: there `env` is a
// typed `Env` holding only the variables declared in `convex.config.ts` (the committed codegen is a
// push's, so `npm run typecheck` and the CLI's own check before a push both refuse other names).

/** What a configuration problem looks like to the operator: what is wrong and the command to fix it. */
export type ConfigProblem = { variable: string; message: string };

/** A Clerk (svix) webhook signing secret: `whsec_` and base64. The doctor checks a secret against the same rule. */
export const WEBHOOK_SECRET_FORMAT = /^whsec_[A-Za-z0-9+/]{16,}={0,2}$/;

/**
 * The signing secret of the Clerk webhook endpoint, or the problem with it. Read per request so a
 * secret set with `npx convex env set` takes effect without a redeploy.
 */
export function clerkWebhookSecret(): { ok: true; secret: string } | { ok: false; problem: ConfigProblem } {
  const secret = process.env.CLERK_WEBHOOK_SECRET;
  const fix =
    "Copy the endpoint's signing secret from Clerk (Dashboard → Webhooks → your endpoint) and run " +
    "`npx convex env set CLERK_WEBHOOK_SECRET whsec_...`.";
  if (secret === undefined || secret === "") {
    return {
      ok: false,
      problem: { variable: "CLERK_WEBHOOK_SECRET", message: `CLERK_WEBHOOK_SECRET is not set. ${fix}` },
    };
  }
  if (!WEBHOOK_SECRET_FORMAT.test(secret.trim())) {
    return {
      ok: false,
      problem: {
        variable: "CLERK_WEBHOOK_SECRET",
        message: `CLERK_WEBHOOK_SECRET is malformed (expected "whsec_" followed by base64). ${fix}`,
      },
    };
  }
  return { ok: true, secret: secret.trim() };
}

/** Browser origins allowed to call the HTTP API, from API_CORS_ORIGINS; none when it is unset. */
export type CorsOrigins = { any: boolean; origins: string[]; problems: string[] };

const ORIGIN = /^https?:\/\/[^/\s?#]+$/i;

/**
 * API_CORS_ORIGINS: a comma-separated list of origins (`https://app.example.com`), or `*` for any.
 * Entries that are not origins are left out and reported. Read per request, like the webhook
 * secret, so `npx convex env set API_CORS_ORIGINS …` takes effect at once.
 */
export function apiCorsOrigins(): CorsOrigins {
  const entries = (process.env.API_CORS_ORIGINS ?? "")
    .split(",")
    .map((entry) => entry.trim().replace(/\/$/, ""))
    .filter((entry) => entry !== "");
  const result: CorsOrigins = { any: false, origins: [], problems: [] };
  for (const entry of entries) {
    if (entry === "*") result.any = true;
    else if (ORIGIN.test(entry)) result.origins.push(entry.toLowerCase());
    else {
      result.problems.push(
        `API_CORS_ORIGINS has "${entry}", which is not an origin (scheme://host[:port]); it is ignored. ` +
          "Fix it with `npx convex env set API_CORS_ORIGINS https://app.example.com,https://admin.example.com`.",
      );
    }
  }
  return result;
}
