/**
 * Rate limits, kept by the `rateLimiter` component: HTTP API requests per token and per
 * organization, and the web app's writes per user. Every key starts with the organization, so one
 * organization's traffic never spends another's allowance, and the component's state is as
 * tenant-scoped as the app's own tables.
 */
import { RateLimiter, type RateLimitConfig } from "@convex-dev/rate-limiter";
import type { UserIdentity } from "convex/server";
import { v, type Infer } from "convex/values";
import { components } from "../_generated/api";
import type { MutationCtx } from "../_generated/server";
import { parseOrgClaims } from "./auth/claims";
import type { Tenant } from "./auth/tenant";
import { formatRateLimit, rateLimitFromEnv, type RateLimitSetting } from "./env";
import { rateLimitedError, secondsText } from "./errors";

/** The deployment variables that set the limits (`npx convex env set RATE_LIMIT_… 120/minute`). */
export const RATE_LIMIT_VARIABLES = {
  apiPerToken: "RATE_LIMIT_API_PER_TOKEN",
  apiPerOrg: "RATE_LIMIT_API_PER_ORG",
  writesPerUser: "RATE_LIMIT_WRITES_PER_USER",
} as const;

export type RateLimitName = keyof typeof RATE_LIMIT_VARIABLES;

const perMinute = (count: number): RateLimitSetting => ({ count, periodMs: 60_000, period: "minute" });

/**
 * The limits when their variables are unset. Each is a token bucket holding `count`: a client may
 * spend all of it at once (a burst: a screen's first load, a script's run), then earns it back
 * evenly over the minute.
 * - 600 per token: a phone app makes a few requests per screen; the export service reads an
 *   organization at one request per project and per 100 tasks, so a burst of 600 exports hundreds
 *   of projects, while a runaway loop is held to 10 a second.
 * - 3,000 per organization: five tokens at their full rate; a team's members and a service or two
 *   stay far below it, and one organization's clients cannot take over the deployment.
 * - 120 writes per user: a person at the board writes every few seconds at most; a fast drag
 *   session or a script's burst fits, a stuck client is held to 2 a second.
 */
export const RATE_LIMIT_DEFAULTS: Record<RateLimitName, RateLimitSetting> = {
  apiPerToken: perMinute(600),
  apiPerOrg: perMinute(3000),
  writesPerUser: perMinute(120),
};

/** A limit in force: its deployment variable, read per call so a change applies at once. */
export function rateLimitSetting(name: RateLimitName): RateLimitSetting {
  return rateLimitFromEnv(RATE_LIMIT_VARIABLES[name], RATE_LIMIT_DEFAULTS[name]);
}

// Limits are configured per call (from the variables), so none is named up front.
const rateLimiter = new RateLimiter(components.rateLimiter);

function bucket(setting: NonNullable<RateLimitSetting>): RateLimitConfig {
  return { kind: "token bucket", rate: setting.count, period: setting.periodMs, capacity: setting.count };
}

/**
 * Which token a request came with, the same across its refreshes: Clerk's session id (`sid`, in
 * every token a session mints; `jti` changes with each 60-second token, so a client could shed its
 * limit by asking for a fresh one), else the user with the issuer and the party it was minted for
 * (`azp`), for tokens without a session.
 */
export function tokenKey(identity: UserIdentity): string {
  const claims = identity as unknown as Record<string, unknown>;
  if (typeof claims.sid === "string" && claims.sid !== "") return `sid:${claims.sid}`;
  const azp = typeof claims.azp === "string" ? claims.azp : "";
  return `sub:${identity.tokenIdentifier}|${azp}`;
}

/** The keys of an API request's limits: its token within its organization, and the organization. */
export function apiKeys(identity: UserIdentity): { token: string; org: string | null } {
  const org = parseOrgClaims(identity as unknown as Record<string, unknown>);
  const orgClerkId = org.status === "active" ? org.org.clerkId : null;
  return { token: `${orgClerkId ?? "-"}|${tokenKey(identity)}`, org: orgClerkId };
}

export const apiLimitVerdictValidator = v.union(
  v.object({ ok: v.literal(true) }),
  v.object({
    ok: v.literal(false),
    scope: v.union(v.literal("token"), v.literal("organization")),
    retryAfterMs: v.number(),
    limit: v.string(),
  }),
);
export type ApiLimitVerdict = Infer<typeof apiLimitVerdictValidator>;

/**
 * Spends one request of the caller's token and organization allowances, or neither: both are
 * checked before either is spent, so a refused request costs nothing. Past either, the verdict
 * names the one to wait longest for.
 */
export async function spendApiRequest(ctx: MutationCtx, identity: UserIdentity): Promise<ApiLimitVerdict> {
  const keys = apiKeys(identity);
  const limits = [
    { scope: "token" as const, name: "apiPerToken" as const, key: keys.token },
    ...(keys.org === null ? [] : [{ scope: "organization" as const, name: "apiPerOrg" as const, key: keys.org }]),
  ]
    .map((limit) => ({ ...limit, setting: rateLimitSetting(limit.name) }))
    .flatMap(({ setting, ...limit }) => (setting === null ? [] : [{ ...limit, setting, config: bucket(setting) }]));
  let refusal: ApiLimitVerdict = { ok: true };
  for (const { scope, name, key, setting, config } of limits) {
    const status = await rateLimiter.check(ctx, name, { key, config });
    if (!status.ok && (refusal.ok || status.retryAfter > refusal.retryAfterMs)) {
      refusal = { ok: false, scope, retryAfterMs: status.retryAfter, limit: formatRateLimit(setting) };
    }
  }
  if (!refusal.ok) return refusal;
  for (const { name, key, config } of limits) await rateLimiter.limit(ctx, name, { key, config });
  return refusal;
}

/** What the API answers past a limit. */
export function apiLimitMessage(verdict: Extract<ApiLimitVerdict, { ok: false }>): string {
  const who = verdict.scope === "token" ? "from this session" : "for this organization";
  return `Too many requests ${who} (at most ${verdict.limit}). Try again in ${secondsText(verdict.retryAfterMs)}.`;
}

/**
 * Spends one write of the caller's allowance in their organization, or throws RATE_LIMITED with
 * when to try again. Called inside the mutation, so a write that fails afterwards is not counted.
 */
export async function spendWrite(ctx: MutationCtx, tenant: Tenant): Promise<void> {
  const setting = rateLimitSetting("writesPerUser");
  if (setting === null) return;
  const status = await rateLimiter.limit(ctx, "writesPerUser", {
    key: `${tenant.org._id}|${tenant.user._id}`,
    config: bucket(setting),
  });
  if (!status.ok) throw rateLimitedError(status.retryAfter);
}
