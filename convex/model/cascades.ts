/**
 * What deleting an organization, a project or a user does to the rows that hang off it, read from
 * the table registry (tables.ts). Each step reads and changes at most CASCADE_BATCH_SIZE rows of one
 * organization and answers `more` until nothing is left; the work pool runs the steps as chains of
 * batches (deletions.ts).
 */
import type { Doc, Id, TableNames } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { forgetOrganizationCounts } from "./counters";
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

/** What one step did: whether rows are left, and how many rows of each table it deleted or changed. */
export type CascadeStep = { more: boolean; changed: Partial<Record<TenantTableName, number>> };

function tally(changed: CascadeStep["changed"], table: TenantTableName, rows: number) {
  if (rows > 0) changed[table] = (changed[table] ?? 0) + rows;
}

async function deleteRow(ctx: MutationCtx, table: TenantTableName, row: Doc<TenantTableName>): Promise<void> {
  await ctx.db.delete(table, row._id);
  await afterDeleteOf(table)?.(ctx, row);
}

/**
 * Applies each reference's removal to the rows of `orgId` that point at `id`, in registry order,
 * changing at most CASCADE_BATCH_SIZE rows; `more` when the budget ran out (call again).
 */
async function removeReferences(
  ctx: MutationCtx,
  refs: RegisteredReference[],
  orgId: Id<"organizations">,
  id: Id<TableNames>,
): Promise<CascadeStep> {
  const changed: CascadeStep["changed"] = {};
  let budget = CASCADE_BATCH_SIZE;
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
    tally(changed, ref.table, rows.length);
    budget -= rows.length;
    if (budget === 0) return { more: true, changed };
  }
  return { more: false, changed };
}

/**
 * One step of removing a deleted organization's rows from every tenant table, children before
 * parents. The organization row itself stays as the tombstone.
 */
export async function cascadeOrganizationStep(ctx: MutationCtx, orgId: Id<"organizations">): Promise<CascadeStep> {
  const changed: CascadeStep["changed"] = {};
  let budget = CASCADE_BATCH_SIZE;
  for (const table of TENANT_TABLES) {
    const rows = await takeByIndex(ctx.db, table, TABLES[table].orgIndex, [["orgId", orgId]], budget);
    for (const row of rows) await deleteRow(ctx, table, row);
    tally(changed, table, rows.length);
    budget -= rows.length;
    if (budget === 0) return { more: true, changed };
  }
  await forgetOrganizationCounts(ctx, orgId);
  return { more: false, changed };
}

/**
 * One step of removing a project being deleted: what references it goes first (its tasks), then,
 * once nothing is left, the project row and its counts.
 */
export async function cascadeProjectStep(ctx: MutationCtx, project: Doc<"projects">): Promise<CascadeStep> {
  const step = await removeReferences(ctx, referencesTo("projects"), project.orgId, project._id);
  // Its counts go with the row (deleteRow resets a project's counter keys).
  if (!step.more) await deleteRow(ctx, "projects", project);
  return step;
}

/**
 * One step of removing a deleted user from one of their organizations: their assignments there are
 * cleared, then their membership deleted. Their organizations are found through their memberships,
 * so the membership goes last. The user's tombstone keeps late membership events from recreating
 * anything, and anonymizes what they wrote.
 */
export async function cascadeUserInOrgStep(
  ctx: MutationCtx,
  orgId: Id<"organizations">,
  userId: Id<"users">,
): Promise<CascadeStep> {
  const refs = referencesTo("users");
  const membershipLast = [
    ...refs.filter((ref) => ref.table !== "memberships"),
    ...refs.filter((ref) => ref.table === "memberships"),
  ];
  return await removeReferences(ctx, membershipLast, orgId, userId);
}
