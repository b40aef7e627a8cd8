import { env } from "../_generated/server";

/** What a configuration problem looks like to the operator: what is wrong and the command to fix it. */
export type ConfigProblem = { variable: string; message: string };

const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/]{16,}={0,2}$/;

/**
 * The signing secret of the Clerk webhook endpoint, or the problem with it. Read per request so a
 * secret set with `npx convex env set` takes effect without a redeploy.
 */
export function clerkWebhookSecret(): { ok: true; secret: string } | { ok: false; problem: ConfigProblem } {
  const secret = env.CLERK_WEBHOOK_SECRET;
  const fix =
    "Copy the endpoint's signing secret from Clerk (Dashboard → Webhooks → your endpoint) and run " +
    "`npx convex env set CLERK_WEBHOOK_SECRET whsec_...`.";
  if (secret === undefined || secret === "") {
    return {
      ok: false,
      problem: { variable: "CLERK_WEBHOOK_SECRET", message: `CLERK_WEBHOOK_SECRET is not set. ${fix}` },
    };
  }
  if (!WEBHOOK_SECRET.test(secret.trim())) {
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
