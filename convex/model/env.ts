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

/** A rate limit as a deployment variable sets it: at most `count` per period, or none (`"off"`). */
export type RateLimitSetting = { count: number; periodMs: number; period: RatePeriod } | null;

export type RatePeriod = "second" | "minute" | "hour" | "day";

const PERIOD_MS: Record<RatePeriod, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

const PERIOD_NAMES: Record<string, RatePeriod> = {
  s: "second",
  sec: "second",
  second: "second",
  m: "minute",
  min: "minute",
  minute: "minute",
  h: "hour",
  hr: "hour",
  hour: "hour",
  d: "day",
  day: "day",
};

/** The largest count a limit may name; more is no limit in practice and likely a typo. */
export const MAX_RATE_COUNT = 1_000_000;

/** What a rate-limit variable accepts, for its error message and the docs. */
export const RATE_LIMIT_FORMAT =
  '"<count>/<period>" with a period of second, minute, hour or day (e.g. "120/minute"), a whole number ' +
  '(per minute), or "off"';

/** `120/minute`, `5/second`, `off`: how a setting reads back in messages. */
export function formatRateLimit(setting: RateLimitSetting): string {
  return setting === null ? "off" : `${setting.count}/${setting.period}`;
}

/**
 * Reads a rate-limit variable's value: `"<count>/<period>"` (`120/minute`, `10/s`, `5000/hour`), a
 * whole number (per minute), or `off`. Unset or empty gives `fallback`. A value it cannot read gives
 * the problem, naming the variable, the accepted format and the command to fix it.
 */
export function parseRateLimit(
  variable: string,
  raw: string | undefined,
  fallback: RateLimitSetting,
): { ok: true; setting: RateLimitSetting } | { ok: false; problem: ConfigProblem } {
  const value = (raw ?? "").trim().toLowerCase();
  if (value === "") return { ok: true, setting: fallback };
  if (value === "off") return { ok: true, setting: null };
  const match = /^(\d+)\s*(?:\/\s*([a-z]+))?$/.exec(value);
  const unit = match?.[2] === undefined ? "minute" : match[2].replace(/(..)s$/, "$1");
  const period = Object.hasOwn(PERIOD_NAMES, unit) ? PERIOD_NAMES[unit] : undefined;
  const count = match === null ? NaN : Number(match[1]);
  if (period === undefined || !Number.isSafeInteger(count) || count < 1 || count > MAX_RATE_COUNT) {
    return {
      ok: false,
      problem: {
        variable,
        message:
          `${variable} is ${JSON.stringify(raw)}, which is not a rate limit. Use ${RATE_LIMIT_FORMAT}, with a count ` +
          `from 1 to ${MAX_RATE_COUNT}; the default (${formatRateLimit(fallback)}) applies until then. ` +
          `Fix it with \`npx convex env set ${variable} ${formatRateLimit(fallback)}\`.`,
      },
    };
  }
  return { ok: true, setting: { count, periodMs: PERIOD_MS[period], period } };
}

/**
 * A rate-limit variable of the deployment, read per call like API_CORS_ORIGINS so `npx convex env
 * set` applies at once. A value it cannot read is logged and the default applies: a typo neither
 * lifts the limit nor refuses every request.
 */
export function rateLimitFromEnv(variable: string, fallback: RateLimitSetting): RateLimitSetting {
  const parsed = parseRateLimit(variable, process.env[variable], fallback);
  if (parsed.ok) return parsed.setting;
  console.error(parsed.problem.message);
  return fallback;
}
