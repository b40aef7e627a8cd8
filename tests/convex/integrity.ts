/** Checks that no row points at a missing or deleted record, over every table of the schema. */
import { TABLES, type OnDelete } from "../../convex/model/tables";
import schema from "../../convex/schema";
import type { Backend } from "./setup";

type FieldValidator = { kind: string; tableName?: string };
type Row = Record<string, unknown> & { _id: string };

/** Every `v.id(...)` field of every table, read from the schema itself. */
export function referenceFields(): { table: string; field: string; target: string }[] {
  const refs: { table: string; field: string; target: string }[] = [];
  for (const [table, definition] of Object.entries(schema.tables)) {
    const fields = (definition as unknown as { validator: { fields: Record<string, FieldValidator> } }).validator
      .fields;
    for (const [field, validator] of Object.entries(fields)) {
      if (validator.kind === "id" && validator.tableName !== undefined) {
        refs.push({ table, field, target: validator.tableName });
      }
    }
  }
  return refs;
}

/** What the registry (convex/model/tables.ts) says becomes of `table.field` when its target is deleted. */
function onDeleteOf(table: string, field: string): OnDelete | undefined {
  const entry = (TABLES as Record<string, { refs?: Record<string, { onDelete: OnDelete }> }>)[table];
  return entry?.refs?.[field]?.onDelete;
}

/**
 * The problems found, as readable strings (empty when all is well):
 * - a reference to a row that does not exist, unless the registry calls it history (the feed keeps
 *   ids of deleted projects and tasks, labelled at write time);
 * - a row of a deleted organization (only its tombstone may stay);
 * - a reference to a deleted user that the user cascade deletes (unless the row is itself a
 *   tombstone: a removed membership) or clears (a task assignment).
 */
export async function findOrphans(t: Backend): Promise<string[]> {
  return await t.run(async (ctx) => {
    const all = new Map<string, Row[]>();
    // Small test worlds only: unbounded reads are fine here.
    for (const table of Object.keys(schema.tables)) {
      all.set(table, (await ctx.db.query(table as keyof typeof schema.tables).collect()) as unknown as Row[]);
    }
    const byId = new Map<string, Row>();
    for (const rows of all.values()) for (const row of rows) byId.set(row._id, row);
    const problems: string[] = [];
    for (const { table, field, target } of referenceFields()) {
      const onDelete = onDeleteOf(table, field);
      for (const row of all.get(table) ?? []) {
        const ref = row[field];
        if (typeof ref !== "string") continue;
        const referenced = byId.get(ref);
        if (referenced === undefined) {
          if (onDelete !== "history")
            problems.push(`${table}.${field} of ${row._id} points at missing ${target} ${ref}`);
          continue;
        }
        if (target === "organizations" && referenced.deletedAt !== undefined) {
          problems.push(`${table} ${row._id} belongs to deleted organization ${ref}`);
        }
        if (target === "users" && referenced.deletedAt !== undefined) {
          if (onDelete === "delete" && row.deletedAt === undefined) {
            problems.push(`${table} ${row._id} of deleted user ${ref} (${field}) is still there`);
          }
          if (onDelete === "unset") problems.push(`${table}.${field} of ${row._id} still names deleted user ${ref}`);
        }
      }
    }
    return problems;
  });
}
