import type { Auth } from "convex/server";
import type { Doc } from "../../_generated/dataModel";
import type { DatabaseReader, MutationCtx } from "../../_generated/server";
import { adjustOrgCounters } from "../counters";
import { appError } from "../errors";
import { parseClaims, type OrgClaims, type ParsedClaims } from "./claims";
import { lesserRole, normalizeRole, permissionsOfRole, type Permission } from "./permissions";

/** The caller inside their active organization, after both checks (token, then synced membership). */
export type Tenant = {
  user: Doc<"users">;
  org: Doc<"organizations">;
  membership: Doc<"memberships">;
  /** Effective role: the lesser of the token's and a webhook-synced membership's. */
  role: string;
  permissions: Permission[];
};

/** What a caller with a pending Clerk session is told (the web app, the HTTP API). */
export const PENDING_SESSION_MESSAGE =
  "Your sign-in is not finished: complete the remaining step (choose an organization, reset your password or " +
  "set up two-step verification) and try again.";

/**
 * Returns the verified caller's claims, or throws UNAUTHENTICATED: no token, or a token of a
 * pending session (Clerk counts it as signed out until its tasks are done).
 */
export async function requireClaims(auth: Auth): Promise<ParsedClaims> {
  const identity = await auth.getUserIdentity();
  if (identity === null) {
    throw appError("UNAUTHENTICATED", "You are not signed in. Sign in and try again.");
  }
  const claims = parseClaims(identity);
  if (claims.pending) throw appError("UNAUTHENTICATED", PENDING_SESSION_MESSAGE);
  return claims;
}

/** Returns the token's active organization, or throws FORBIDDEN naming what is missing. */
export function requireOrgClaims(claims: ParsedClaims): OrgClaims {
  switch (claims.org.status) {
    case "active":
      return claims.org.org;
    case "none":
      throw appError("FORBIDDEN", "No active organization. Select an organization and try again.");
    case "malformed":
      throw appError(
        "FORBIDDEN",
        `Your session's organization claims could not be read (${claims.org.reason}). Sign out and sign in again.`,
      );
  }
}

export async function getUserByClerkId(db: DatabaseReader, clerkId: string): Promise<Doc<"users"> | null> {
  return await db
    .query("users")
    .withIndex("by_clerkId", (q) => q.eq("clerkId", clerkId))
    .unique();
}

export async function getOrgByClerkId(db: DatabaseReader, clerkId: string): Promise<Doc<"organizations"> | null> {
  return await db
    .query("organizations")
    .withIndex("by_clerkId", (q) => q.eq("clerkId", clerkId))
    .unique();
}

export async function getMembership(
  db: DatabaseReader,
  org: Doc<"organizations">,
  user: Doc<"users">,
): Promise<Doc<"memberships"> | null> {
  return await db
    .query("memberships")
    .withIndex("by_orgId_and_userId", (q) => q.eq("orgId", org._id).eq("userId", user._id))
    .unique();
}

function assertUserActive(user: Doc<"users"> | null) {
  if (user?.deletedAt !== undefined) {
    throw appError("FORBIDDEN", "This account has been deleted.");
  }
}

function assertOrgActive(org: Doc<"organizations"> | null) {
  if (org?.deletedAt !== undefined) {
    throw appError("FORBIDDEN", "This organization has been deleted. Select another organization.");
  }
}

function assertMembershipActive(membership: Doc<"memberships"> | null) {
  if (membership?.deletedAt !== undefined) {
    throw appError("FORBIDDEN", "You are no longer a member of this organization.");
  }
}

/**
 * The database is the second check: a webhook-synced membership caps what the token grants. While
 * it holds the token's role, the token's permissions stand (Clerk minted them at most 60 s ago);
 * when Clerk changed the role and the token has not caught up, the lesser role applies and only
 * what that role's row in the table allows is kept.
 */
function effectiveAccess(orgClaims: OrgClaims, membership: Doc<"memberships">) {
  if (membership.source !== "webhook" || normalizeRole(membership.role) === orgClaims.role) {
    return { role: orgClaims.role, permissions: orgClaims.permissions };
  }
  const role = lesserRole(orgClaims.role, membership.role);
  const allowed = new Set(permissionsOfRole(role));
  return { role, permissions: orgClaims.permissions.filter((p) => allowed.has(p)) };
}

/**
 * Resolves the caller's tenant for a read. Returns null when the token is valid but the user,
 * organization or membership has not been provisioned yet (nothing of theirs can exist then).
 * Throws UNAUTHENTICATED / FORBIDDEN for a missing token, no or malformed organization claims,
 * and deleted users, organizations or memberships.
 */
export async function resolveTenant(ctx: { auth: Auth; db: DatabaseReader }): Promise<Tenant | null> {
  const claims = await requireClaims(ctx.auth);
  const orgClaims = requireOrgClaims(claims);
  const [user, org] = await Promise.all([
    getUserByClerkId(ctx.db, claims.userClerkId),
    getOrgByClerkId(ctx.db, orgClaims.clerkId),
  ]);
  assertUserActive(user);
  assertOrgActive(org);
  if (user === null || org === null) return null;
  const membership = await getMembership(ctx.db, org, user);
  assertMembershipActive(membership);
  if (membership === null) return null;
  return { user, org, membership, ...effectiveAccess(orgClaims, membership) };
}

/**
 * Provisions the caller's user row from the verified token when no webhook has created it yet,
 * and fills fields the token knows that the row lacks. Idempotent.
 */
export async function ensureUser(ctx: MutationCtx, claims: ParsedClaims): Promise<Doc<"users">> {
  const existing = await getUserByClerkId(ctx.db, claims.userClerkId);
  assertUserActive(existing);
  const fromToken = {
    ...(claims.email !== null && { email: claims.email }),
    ...(claims.name !== null && { name: claims.name }),
    ...(claims.imageUrl !== null && { imageUrl: claims.imageUrl }),
  };
  if (existing === null) {
    const id = await ctx.db.insert("users", { clerkId: claims.userClerkId, ...fromToken });
    return (await ctx.db.get("users", id))!;
  }
  // Webhook data wins once it has arrived; before that, only fill gaps.
  const missing = Object.fromEntries(
    Object.entries(fromToken).filter(([key]) => existing[key as keyof typeof fromToken] === undefined),
  );
  if (Object.keys(missing).length === 0) return existing;
  await ctx.db.patch("users", existing._id, missing);
  return (await ctx.db.get("users", existing._id))!;
}

/**
 * Provisions user, organization and membership from the verified token so a first sign-in works
 * before any webhook arrives. Never revives a deleted user, organization or membership. Idempotent.
 */
export async function ensureTenant(ctx: MutationCtx, claims: ParsedClaims): Promise<Tenant> {
  const orgClaims = requireOrgClaims(claims);
  const user = await ensureUser(ctx, claims);

  let org = await getOrgByClerkId(ctx.db, orgClaims.clerkId);
  assertOrgActive(org);
  if (org === null) {
    const id = await ctx.db.insert("organizations", {
      clerkId: orgClaims.clerkId,
      // The webhook brings the real name; until then the slug is the best the token offers.
      name: orgClaims.slug ?? "Organization",
      ...(orgClaims.slug !== null && { slug: orgClaims.slug }),
    });
    org = (await ctx.db.get("organizations", id))!;
  }

  let membership = await getMembership(ctx.db, org, user);
  assertMembershipActive(membership);
  if (membership === null) {
    const id = await ctx.db.insert("memberships", {
      orgId: org._id,
      userId: user._id,
      role: orgClaims.role,
      source: "token",
    });
    await adjustOrgCounters(ctx, org._id, { members: 1 });
    membership = (await ctx.db.get("memberships", id))!;
  } else if (membership.source === "token" && membership.role !== orgClaims.role) {
    // Until a webhook syncs it, a token-provisioned membership follows the newest token.
    await ctx.db.patch("memberships", membership._id, { role: orgClaims.role });
    membership = { ...membership, role: orgClaims.role };
  }
  return { user, org, membership, ...effectiveAccess(orgClaims, membership) };
}

/** Throws FORBIDDEN unless the tenant holds the permission. */
export function requirePermission(tenant: Pick<Tenant, "permissions" | "role">, permission: Permission): void {
  if (!tenant.permissions.includes(permission)) {
    throw appError("FORBIDDEN", `Your role (${tenant.role}) does not have the ${permission} permission.`);
  }
}
