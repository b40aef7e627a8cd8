import { v } from "convex/values";
import { userMutation, userQuery } from "./functions";
import { ensureTenant } from "./model/auth/tenant";

const meValidator = v.object({
  clerkId: v.string(),
  // Null until the first `users.ensure` (or Clerk's webhook) creates the row.
  user: v.union(
    v.object({
      _id: v.id("users"),
      name: v.optional(v.string()),
      email: v.optional(v.string()),
      imageUrl: v.optional(v.string()),
    }),
    v.null(),
  ),
  org: v.union(
    v.object({ status: v.literal("none") }),
    v.object({ status: v.literal("malformed"), reason: v.string() }),
    v.object({
      status: v.literal("active"),
      clerkId: v.string(),
      slug: v.union(v.string(), v.null()),
      role: v.string(),
    }),
  ),
});

/** The signed-in caller: their synced user row (or null before provisioning) and token organization. */
export const me = userQuery({
  args: {},
  returns: meValidator,
  handler: async (ctx) => {
    const { claims, user } = ctx;
    return {
      clerkId: claims.userClerkId,
      user:
        user === null
          ? null
          : {
              _id: user._id,
              ...(user.name !== undefined && { name: user.name }),
              ...(user.email !== undefined && { email: user.email }),
              ...(user.imageUrl !== undefined && { imageUrl: user.imageUrl }),
            },
      org:
        claims.org.status === "active"
          ? {
              status: "active" as const,
              clerkId: claims.org.org.clerkId,
              slug: claims.org.org.slug,
              role: claims.org.org.role,
            }
          : claims.org,
    };
  },
});

/**
 * Call once after sign-in (and after switching organization): provisions the user, and the active
 * organization and membership, from the verified token when no webhook has created them yet.
 * Idempotent; never revives a deleted user, organization or membership.
 */
export const ensure = userMutation({
  args: {},
  returns: v.object({ userId: v.id("users"), orgId: v.union(v.id("organizations"), v.null()) }),
  handler: async (ctx) => {
    if (ctx.claims.org.status === "none") return { userId: ctx.user._id, orgId: null };
    const tenant = await ensureTenant(ctx, ctx.claims);
    return { userId: tenant.user._id, orgId: tenant.org._id };
  },
});
