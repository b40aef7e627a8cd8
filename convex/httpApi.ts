import { v } from "convex/values";
import { httpAction } from "./_generated/server";
import { internalMutation, internalQuery } from "./functions";
import { apiLimitVerdictValidator, spendApiRequest } from "./model/rateLimits";
import { ID_TABLES, serveApi } from "./model/http/router";
import { API_ROUTES } from "./model/http/routes";

/** Every request under /api/v1/ (all methods): see model/http/routes.ts for the routes. */
export const handle = httpAction(async (ctx, request) => await serveApi(ctx, request, API_ROUTES));

/** Whether each id belongs to its table; lets the API answer a malformed id before calling a function. */
export const normalizeIds = internalQuery({
  args: { ids: v.array(v.object({ table: v.union(...ID_TABLES.map((t) => v.literal(t))), id: v.string() })) },
  returns: v.array(v.boolean()),
  handler: async (ctx, { ids }) => ids.map(({ table, id }) => ctx.db.normalizeId(table, id) !== null),
});

/**
 * Spends one request of the caller's token and organization allowances (the identity is the
 * request's, passed on by ctx.runMutation); the verdict says which limit refused and for how long.
 */
export const spendRateLimits = internalMutation({
  args: {},
  returns: apiLimitVerdictValidator,
  handler: async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    if (identity === null) throw new Error("spendRateLimits runs only after the caller's token is verified");
    return await spendApiRequest(ctx, identity);
  },
});
