/**
 * Every table, and what becomes of its rows when a record they point at is deleted. The
 * organization, project and user cascades (cascades.ts) walk this, the test harness seeds and checks
 * it, and convex/tables.test.ts walks the schema and fails on any table or reference missing here.
 */
import type { Indexes, NamedTableInfo } from "convex/server";
import type { DataModel, Doc, Id, TableNames } from "../_generated/dataModel";
import type { DatabaseReader, MutationCtx } from "../_generated/server";
import { forgetProjectCounts, uncountDeletedMembership } from "./counters";

/** What becomes of a row (or one field of it) when the record a reference points at is deleted. */
export type OnDelete =
  /** The row goes with the record. */
  | "delete"
  /** The field is cleared (an optional reference, like a task's assignee). */
  | "unset"
  /** The row keeps the user's id; the user's tombstone keeps no personal data and reads as "Deleted user". */
  | "anonymize"
  /** The row keeps the id of a record that no longer exists: history, labelled when it was written. */
  | "history";

type IndexesOf<T extends TableNames> = Indexes<NamedTableInfo<DataModel, T>>;

/** The names of T's indexes whose fields begin with `Prefix`. */
export type IndexStartingWith<T extends TableNames, Prefix extends string[]> = {
  [I in keyof IndexesOf<T>]: IndexesOf<T>[I] extends [...Prefix, ...string[]] ? I : never;
}[keyof IndexesOf<T>] &
  string;

/** T's fields that hold the id of another row, `orgId` aside (every tenant row has it). */
type ReferenceField<T extends TableNames> = {
  [F in keyof Doc<T>]-?: F extends "_id" | "orgId" ? never : NonNullable<Doc<T>[F]> extends Id<TableNames> ? F : never;
}[keyof Doc<T>] &
  string;

type TargetOf<T extends TableNames, F extends keyof Doc<T>> =
  NonNullable<Doc<T>[F]> extends Id<infer Target> ? Target : never;

/**
 * A reference and what its deletion does. A cascade finds the rows to change through `index`, whose
 * fields begin with `orgId` and the reference: every read stays inside one organization.
 */
type Reference<T extends TableNames, F extends ReferenceField<T>> =
  | {
      to: TargetOf<T, F>;
      onDelete: "delete" | (undefined extends Doc<T>[F] ? "unset" : never);
      index: IndexStartingWith<T, ["orgId", F]>;
    }
  | { to: TargetOf<T, F>; onDelete: "anonymize" | "history" };

type TenantTable<T extends TableNames> = {
  /** Rows of one organization (`orgId`), deleted with it. */
  kind: "tenant";
  /** Finds the organization's rows: an index whose first field is `orgId`. */
  orgIndex: IndexStartingWith<T, ["orgId"]>;
  refs: { [F in ReferenceField<T>]: Reference<T, F> };
  /** Keeps what depends on the row's existence (a count) in step when a cascade deletes it. */
  afterDelete?: (ctx: MutationCtx, row: Doc<T>) => Promise<void>;
  /**
   * No longer written: rows from before a change of storage, read and then deleted by a migration
   * (convex/migrations.ts). The table goes once the migration has run on every deployment.
   */
  retired?: true;
};

type TableEntry<T extends TableNames> =
  | TenantTable<T>
  /** Clerk's users and organizations: tombstoned when deleted, never removed; what hangs off them is. */
  | { kind: "identity" }
  /** Belongs to no organization or user (the webhook delivery log, pruned by age). */
  | { kind: "global" };

/**
 * The registry. Tenant tables are listed in deletion order: a table before any table it references
 * with "delete" or "unset", so a cascade removes children before parents.
 */
export const TABLES = {
  users: { kind: "identity" },
  organizations: { kind: "identity" },
  webhookEvents: { kind: "global" },
  tasks: {
    kind: "tenant",
    orgIndex: "by_orgId_and_projectId_and_status_and_position",
    refs: {
      projectId: { to: "projects", onDelete: "delete", index: "by_orgId_and_projectId_and_status_and_position" },
      assigneeId: { to: "users", onDelete: "unset", index: "by_orgId_and_assigneeId_and_status" },
      createdBy: { to: "users", onDelete: "anonymize" },
    },
  },
  taskCounters: {
    kind: "tenant",
    orgIndex: "by_orgId_and_projectId",
    refs: { projectId: { to: "projects", onDelete: "delete", index: "by_orgId_and_projectId" } },
    retired: true,
  },
  activity: {
    kind: "tenant",
    orgIndex: "by_orgId",
    refs: {
      actorId: { to: "users", onDelete: "anonymize" },
      projectId: { to: "projects", onDelete: "history" },
      taskId: { to: "tasks", onDelete: "history" },
    },
  },
  projects: {
    kind: "tenant",
    orgIndex: "by_orgId_and_status",
    refs: { createdBy: { to: "users", onDelete: "anonymize" } },
    afterDelete: forgetProjectCounts,
  },
  orgCounters: { kind: "tenant", orgIndex: "by_orgId", refs: {}, retired: true },
  memberships: {
    kind: "tenant",
    orgIndex: "by_orgId_and_userId",
    refs: { userId: { to: "users", onDelete: "delete", index: "by_orgId_and_userId" } },
    afterDelete: uncountDeletedMembership,
  },
} as const satisfies { [T in TableNames]: TableEntry<T> };

export type TenantTableName = {
  [T in TableNames]: (typeof TABLES)[T]["kind"] extends "tenant" ? T : never;
}[TableNames];

/** The tenant tables, in deletion order. */
export const TENANT_TABLES = (Object.keys(TABLES) as TableNames[]).filter(
  (table): table is TenantTableName => TABLES[table].kind === "tenant",
);

/** A reference of a tenant table, as the cascades read it. */
export type RegisteredReference = {
  table: TenantTableName;
  field: string;
  to: TableNames;
  onDelete: OnDelete;
  index?: string;
};

/** Every reference of the tenant tables to `target`, in deletion order. */
export function referencesTo(target: TableNames): RegisteredReference[] {
  return TENANT_TABLES.flatMap((table) =>
    Object.entries(TABLES[table].refs as Record<string, Omit<RegisteredReference, "table" | "field">>)
      .filter(([, ref]) => ref.to === target)
      .map(([field, ref]) => ({ table, field, ...ref })),
  );
}

type AfterDelete = (ctx: MutationCtx, row: Doc<TenantTableName>) => Promise<void>;

/** The hook a tenant table runs after a cascade deletes one of its rows, if any. */
export function afterDeleteOf(table: TenantTableName): AfterDelete | undefined {
  const entry = TABLES[table];
  return "afterDelete" in entry ? (entry.afterDelete as AfterDelete) : undefined;
}

type IndexRange = { eq(field: string, value: unknown): IndexRange };
type IndexedQuery = {
  withIndex(index: string, range: (q: IndexRange) => IndexRange): { take(n: number): Promise<Doc<TenantTableName>[]> };
};

/**
 * Up to `limit` rows of `table` through a registered index, matching `values` on its leading fields
 * in order. The registry's types tie each index to its table; a table chosen at run time needs this
 * one loosely typed query.
 */
export async function takeByIndex(
  db: DatabaseReader,
  table: TenantTableName,
  index: string,
  values: [field: string, value: unknown][],
  limit: number,
): Promise<Doc<TenantTableName>[]> {
  const query = db.query(table) as unknown as IndexedQuery;
  return await query
    .withIndex(index, (q) => values.reduce((range, [field, value]) => range.eq(field, value), q))
    .take(limit);
}
