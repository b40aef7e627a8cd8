/**
 * The only module that touches the raw builders from `_generated/server` (a lint rule keeps it so).
 * Every public function is defined with one of the builders below, which read the caller's identity
 * and organization from the verified token and check the synced membership before the handler runs.
 */
import { customCtx, customMutation, customQuery } from "convex-helpers/server/customFunctions";
import {
  internalMutation as rawInternalMutation,
  internalQuery as rawInternalQuery,
  mutation as rawMutation,
  query as rawQuery,
} from "./_generated/server";
import type { Permission } from "./model/auth/permissions";
import {
  ensureTenant,
  ensureUser,
  getUserByClerkId,
  requireClaims,
  requirePermission,
  resolveTenant,
} from "./model/auth/tenant";
import { appError } from "./model/errors";
import { spendWrite } from "./model/rateLimits";

/** Extra options every org builder accepts: the permission the function needs beyond membership. */
type PermissionOption = { permission?: Permission };

/**
 * A query for any signed-in caller. `ctx.claims` holds the parsed token; `ctx.user` is the synced
 * user row, or null before the first `users.ensure`. Throws UNAUTHENTICATED when signed out.
 */
export const userQuery = customQuery(
  rawQuery,
  customCtx(async (ctx) => {
    const claims = await requireClaims(ctx.auth);
    const user = await getUserByClerkId(ctx.db, claims.userClerkId);
    if (user?.deletedAt !== undefined) throw appError("FORBIDDEN", "This account has been deleted.");
    return { claims, user };
  }),
);

/** A mutation for any signed-in caller; provisions the user row from the token when it is missing. */
export const userMutation = customMutation(
  rawMutation,
  customCtx(async (ctx) => {
    const claims = await requireClaims(ctx.auth);
    const user = await ensureUser(ctx, claims);
    return { claims, user };
  }),
);

/**
 * A query inside the caller's active organization. `ctx.tenant` is null until the caller's rows are
 * provisioned (no data of theirs can exist yet): answer with an empty result then. Pass
 * `permission` to require one; it is checked against the token even before provisioning.
 */
export const orgQuery = customQuery(rawQuery, {
  args: {},
  input: async (ctx, _args, extra: PermissionOption) => {
    const tenant = await resolveTenant(ctx);
    if (extra.permission !== undefined) {
      if (tenant !== null) {
        requirePermission(tenant, extra.permission);
      } else {
        const claims = await requireClaims(ctx.auth);
        if (claims.org.status === "active") requirePermission(claims.org.org, extra.permission);
      }
    }
    return { ctx: { tenant }, args: {} };
  },
});

/**
 * A mutation inside the caller's active organization. Provisions user, organization and membership
 * from the verified token when no webhook has yet, so `ctx.tenant` is always set. Pass
 * `permission` to require one. Each call spends one of the caller's writes in the organization
 * (RATE_LIMITED past the limit; see model/rateLimits.ts).
 */
export const orgMutation = customMutation(rawMutation, {
  args: {},
  input: async (ctx, _args, extra: PermissionOption) => {
    const claims = await requireClaims(ctx.auth);
    const tenant = await ensureTenant(ctx, claims);
    if (extra.permission !== undefined) requirePermission(tenant, extra.permission);
    await spendWrite(ctx, tenant);
    return { ctx: { tenant }, args: {} };
  },
});

/** For the scheduler and HTTP actions only; never reachable from clients. */
export const internalMutation = rawInternalMutation;
export const internalQuery = rawInternalQuery;
