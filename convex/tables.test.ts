import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { describe, expect, it } from "vitest";
import { seedWorld } from "../tests/convex/fixtures";
import { newBackend } from "../tests/convex/setup";
import { TABLES, type OnDelete } from "./model/tables";
import schema from "./schema";

type FieldValidator = { kind: string; tableName?: string; isOptional: "optional" | "required" };
type TableLike = {
  validator: { fields: Record<string, FieldValidator> };
  " indexes"(): { indexDescriptor: string; fields: string[] }[];
};
type EntryLike = {
  kind: string;
  orgIndex?: string;
  refs?: Record<string, { to: string; onDelete: OnDelete; index?: string }>;
  retired?: true;
};

/** The records whose deletion a cascade carries to what references them (cascades.ts). */
const CASCADED = new Set(["organizations", "projects", "users"]);

/** Every way the registry disagrees with the schema's tables, as sentences; empty when it fits. */
function registryProblems(tables: Record<string, unknown>, registry: Record<string, EntryLike>): string[] {
  const problems: string[] = [];
  const order = Object.keys(registry);
  for (const name of Object.keys(registry)) {
    if (!(name in tables)) problems.push(`${name} is registered but not in the schema`);
  }
  for (const [name, table] of Object.entries(tables as Record<string, TableLike>)) {
    const entry = registry[name];
    const fields = table.validator.fields;
    const indexFields = (index: string) => table[" indexes"]().find((i) => i.indexDescriptor === index)?.fields;
    const startsWith = (index: string, prefix: string[]) =>
      prefix.every((field, i) => indexFields(index)?.[i] === field);
    const ids = Object.entries(fields).filter(([, f]) => f.kind === "id");
    if (entry === undefined) {
      const refs = ids.map(([field]) => field).join(", ");
      problems.push(`${name} (references: ${refs || "none"}) is not in the registry (convex/model/tables.ts)`);
      continue;
    }
    if (entry.kind !== "tenant") {
      for (const [field] of ids) {
        problems.push(`${name}.${field} is a reference, but ${name} is registered as "${entry.kind}", not "tenant"`);
      }
      continue;
    }
    if (
      fields.orgId?.kind !== "id" ||
      fields.orgId.tableName !== "organizations" ||
      fields.orgId.isOptional !== "required"
    ) {
      problems.push(`${name} is a tenant table without a required orgId: v.id("organizations")`);
    }
    if (entry.orgIndex === undefined || !startsWith(entry.orgIndex, ["orgId"])) {
      problems.push(`${name}.orgIndex ${entry.orgIndex} is not an index whose first field is orgId`);
    }
    const refs = entry.refs ?? {};
    for (const [field, validator] of ids) {
      if (field === "orgId") continue;
      const ref = refs[field];
      if (ref === undefined) {
        problems.push(`${name}.${field} (a reference to ${validator.tableName}) has no entry in ${name}.refs`);
        continue;
      }
      if (ref.to !== validator.tableName)
        problems.push(`${name}.${field} points at ${validator.tableName}, not ${ref.to}`);
      if (ref.onDelete === "delete" || ref.onDelete === "unset") {
        if (!CASCADED.has(ref.to)) problems.push(`${name}.${field}: nothing cascades a deletion of ${ref.to}`);
        if (ref.index === undefined || !startsWith(ref.index, ["orgId", field])) {
          problems.push(`${name}.${field}: index ${ref.index} does not start with orgId, ${field}`);
        }
        const target = order.indexOf(ref.to);
        if (target !== -1 && registry[ref.to]?.kind === "tenant" && target < order.indexOf(name)) {
          problems.push(`${name} must come before ${ref.to} in the registry (children are deleted first)`);
        }
      }
      if (ref.onDelete === "unset" && validator.isOptional !== "optional") {
        problems.push(`${name}.${field} is required, so it cannot be unset`);
      }
      if (ref.onDelete === "anonymize" && ref.to !== "users") {
        problems.push(`${name}.${field}: only references to users are anonymized (by the user's tombstone)`);
      }
    }
    for (const field of Object.keys(refs)) {
      if (fields[field]?.kind !== "id") problems.push(`${name}.refs.${field} is not a reference of the schema`);
    }
  }
  return problems;
}

const registry = TABLES as unknown as Record<string, EntryLike>;

describe("the table registry", () => {
  it("fits the schema: every table, orgId and reference has an entry the cascades can act on", () => {
    expect(registryProblems(schema.tables, registry)).toEqual([]);
  });

  it("fails for a table with an orgId that is added to the schema and not registered", () => {
    const extended = defineSchema({
      ...schema.tables,
      comments: defineTable({ orgId: v.id("organizations"), authorId: v.id("users"), body: v.string() }).index(
        "by_orgId",
        ["orgId"],
      ),
    });
    expect(registryProblems(extended.tables, registry)).toContain(
      "comments (references: orgId, authorId) is not in the registry (convex/model/tables.ts)",
    );
  });

  it("fails for a reference added to a registered table and not registered", () => {
    const extended = defineSchema({
      ...schema.tables,
      tasks: defineTable({ ...schema.tables.tasks.validator.fields, reviewerId: v.optional(v.id("users")) }),
    });
    expect(registryProblems(extended.tables, registry)).toContain(
      "tasks.reviewerId (a reference to users) has no entry in tasks.refs",
    );
  });
});

describe("the harness seed", () => {
  it("writes a row of every table with an orgId, in both organizations (retired tables aside)", async () => {
    const t = newBackend();
    const world = await seedWorld(t);
    const tenantTables = Object.entries(schema.tables as unknown as Record<string, TableLike>)
      .filter(([name, table]) => table.validator.fields.orgId !== undefined && registry[name]?.retired !== true)
      .map(([name]) => name);
    expect(tenantTables.length).toBeGreaterThan(0);
    const empty = await t.run(async (ctx) => {
      const missing: string[] = [];
      for (const table of tenantTables) {
        // A small seeded world: a full read is fine here.
        const rows = (await ctx.db.query(table as keyof typeof schema.tables).collect()) as { orgId?: string }[];
        for (const org of [world.a, world.b]) {
          if (!rows.some((row) => row.orgId === org.orgId)) missing.push(`${table} of ${org.orgClerkId}`);
        }
      }
      return missing;
    });
    expect(empty, "add these to seedOrg (tests/convex/fixtures.ts)").toEqual([]);
  });
});
