/**
 * What deleting an organization, a project or a user does to the rows that hang off it, read from
 * the table registry (tables.ts). Each step changes at most CASCADE_BATCH_SIZE rows and answers
 * "more" until nothing is left; the internal mutation that runs it schedules itself again.
 */
import type { Doc, Id, TableNames } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import {
  afterDeleteOf,
  referencesTo,
  takeByIndex,
  TABLES,
  TENANT_TABLES,
  type RegisteredReference,
  type TenantTableName,
} from "./tables";

/** Rows one cascade step deletes or updates: far inside Convex's per-transaction limits. */
export const CASCADE_BATCH_SIZE = 256;

export type CascadeStep = "more" | "done";

async function deleteRow(ctx: MutationCtx, table: TenantTableName, row: Doc<TenantTableName>): Promise<void> {
  await ctx.db.delete(table, row._id);
  await afterDeleteOf(table)?.(ctx, row);
}

/**
 * Applies each reference's removal to the rows of `orgId` that point at `id`, in registry order,
 * spending at most `budget` rows; returns what is left of the budget (0: call again).
 */
async function removeReferences(
  ctx: MutationCtx,
  refs: RegisteredReference[],
  orgId: Id<"organizations">,
  id: Id<TableNames>,
  budget: number,
): Promise<number> {
  for (const ref of refs) {
    if (ref.index === undefined || (ref.onDelete !== "delete" && ref.onDelete !== "unset")) continue;
    const rows = await takeByIndex(
      ctx.db,
      ref.table,
      ref.index,
      [
        ["orgId", orgId],
        [ref.field, id],
      ],
      budget,
    );
    for (const row of rows) {
      if (ref.onDelete === "delete") await deleteRow(ctx, ref.table, row);
      else await ctx.db.patch(ref.table, row._id, { [ref.field]: undefined });
    }
    budget -= rows.length;
    if (budget === 0) return 0;
  }
  return budget;
}

/**
 * One step of removing a deleted organization's rows from every tenant table, children before
 * parents. The organization row itself stays as the tombstone.
 */
export async function cascadeOrganizationStep(ctx: MutationCtx, orgId: Id<"organizations">): Promise<CascadeStep> {
  let budget = CASCADE_BATCH_SIZE;
  for (const table of TENANT_TABLES) {
    const rows = await takeByIndex(ctx.db, table, TABLES[table].orgIndex, [["orgId", orgId]], budget);
    for (const row of rows) await deleteRow(ctx, table, row);
    budget -= rows.length;
    if (budget === 0) return "more";
  }
  return "done";
}

/**
 * One step of removing a project being deleted: what references it goes first (its tasks, its
 * counter), then, once nothing is left, the project row.
 */
export async function cascadeProjectStep(ctx: MutationCtx, project: Doc<"projects">): Promise<CascadeStep> {
  const left = await removeReferences(ctx, referencesTo("projects"), project.orgId, project._id, CASCADE_BATCH_SIZE);
  if (left === 0) return "more";
  await ctx.db.delete("projects", project._id);
  return "done";
}

/**
 * One step of removing a deleted user, one organization at a time: their assignments there are
 * cleared, then their membership deleted. Their organizations are found through their memberships,
 * so the membership goes last. Returns "more" until no membership is left; the user's tombstone
 * keeps late membership events from recreating anything, and anonymizes what they wrote.
 */
export async function cascadeUserStep(ctx: MutationCtx, userId: Id<"users">): Promise<CascadeStep> {
  const membership = await ctx.db
    .query("memberships")
    .withIndex("by_userId", (q) => q.eq("userId", userId))
    .first();
  if (membership === null) return "done";
  const refs = referencesTo("users");
  const membershipLast = [
    ...refs.filter((ref) => ref.table !== "memberships"),
    ...refs.filter((ref) => ref.table === "memberships"),
  ];
  await removeReferences(ctx, membershipLast, membership.orgId, userId, CASCADE_BATCH_SIZE);
  return "more";
}
