import type { GenericDataModel, GenericDatabaseReader, UserIdentity } from "convex/server";
import { api } from "../../convex/_generated/api";
import type { Id, TableNames } from "../../convex/_generated/dataModel";
import type { Role } from "../../convex/model/auth/permissions";
import { takeByIndex, TABLES, TENANT_TABLES } from "../../convex/model/tables";
import schema from "../../convex/schema";
import type { Backend } from "./setup";

export const ISSUER = "https://test.clerk.example";

export type TokenShape = "v2" | "flat" | "template";
export type OrgRoleName = Role extends `org:${infer Name}` ? Name : never;
/** The members seedOrg signs in, in this order. */
export const ORG_ROLES: readonly OrgRoleName[] = ["admin", "member", "viewer", "billing"];

export type OrgClaimInput = { clerkId: string; slug?: string; role: string; permissions?: string[] };

/**
 * Claims as Convex passes them to `getUserIdentity()` for each of Clerk's token shapes:
 * session token v2 (`o` object), the same flattened by a customJwt provider, and the JWT template.
 */
export function claimsFor(
  userClerkId: string,
  org?: OrgClaimInput,
  shape: TokenShape = "v2",
  extra: Record<string, unknown> = {},
): Partial<UserIdentity> {
  const base = { subject: userClerkId, issuer: ISSUER, tokenIdentifier: `${ISSUER}|${userClerkId}`, ...extra };
  if (org === undefined) return base;
  const shortRole = org.role.replace(/^org:/, "");
  const encoded = org.permissions === undefined ? undefined : encodeClerkPermissions(org.permissions);
  switch (shape) {
    case "v2":
      return {
        ...base,
        v: 2,
        ...(encoded !== undefined && { fea: encoded.fea }),
        o: {
          id: org.clerkId,
          rol: shortRole,
          ...(org.slug !== undefined && { slg: org.slug }),
          ...(encoded !== undefined && { per: encoded.per, fpm: encoded.fpm }),
        },
      };
    case "flat":
      return {
        ...base,
        v: 2,
        ...(encoded !== undefined && { fea: encoded.fea }),
        "o.id": org.clerkId,
        "o.rol": shortRole,
        ...(org.slug !== undefined && { "o.slg": org.slug }),
        ...(encoded !== undefined && { "o.per": encoded.per, "o.fpm": encoded.fpm }),
      };
    case "template":
      return {
        ...base,
        org_id: org.clerkId,
        org_role: org.role,
        ...(org.slug !== undefined && { org_slug: org.slug }),
        ...(org.permissions !== undefined && { org_permissions: org.permissions }),
      };
  }
}

/**
 * Permission keys (`org:tasks:write`) in Clerk's session-token v2 encoding: features in `fea`,
 * actions in `o.per`, one bitmask per feature in `o.fpm`.
 */
export function encodeClerkPermissions(keys: string[]): { fea: string; per: string; fpm: string } {
  const parsed = keys.map((key) => {
    const [, feature, action] = key.split(":");
    if (feature === undefined || action === undefined) throw new Error(`not a permission key: ${key}`);
    return { feature, action };
  });
  const features = [...new Set(parsed.map((p) => p.feature))];
  const actions = [...new Set(parsed.map((p) => p.action))];
  const masks = features.map((feature) =>
    parsed.filter((p) => p.feature === feature).reduce((mask, p) => mask | (1 << actions.indexOf(p.action)), 0),
  );
  return { fea: features.map((f) => `o:${f}`).join(","), per: actions.join(","), fpm: masks.join(",") };
}

export type Caller = ReturnType<Backend["withIdentity"]>;

export type SeededOrg = {
  orgClerkId: string;
  orgId: Id<"organizations">;
  users: Record<OrgRoleName, Id<"users">>;
  as: Record<OrgRoleName, Caller>;
  projectId: Id<"projects">;
  archivedProjectId: Id<"projects">;
  taskIds: Id<"tasks">[];
};

/** The token of `role` in org `key` (user ids and org ids are derived from the key). */
export function memberClaims(
  key: string,
  role: OrgRoleName,
  shape: TokenShape = "v2",
  extra: Record<string, unknown> = {},
) {
  return claimsFor(
    `user_${key}_${role}`,
    { clerkId: `org_${key}`, slug: `org-${key.toLowerCase()}`, role: `org:${role}` },
    shape,
    { name: `${key} ${role}`, email: `${role}@${key.toLowerCase()}.example`, ...extra },
  );
}

/**
 * Seeds one organization the way production fills it: each member signs in (`users.ensure`), the
 * webhook then marks their membership synced, and the admin creates projects and tasks.
 */
export async function seedOrg(t: Backend, key: string): Promise<SeededOrg> {
  const as = {} as Record<OrgRoleName, Caller>;
  const users = {} as Record<OrgRoleName, Id<"users">>;
  let orgId: Id<"organizations"> | null = null;
  for (const role of ORG_ROLES) {
    as[role] = t.withIdentity(memberClaims(key, role));
    const ensured = await as[role].mutation(api.users.ensure, {});
    users[role] = ensured.userId;
    orgId = ensured.orgId;
  }
  if (orgId === null) throw new Error("seedOrg: ensure returned no organization");
  await t.run(async (ctx) => {
    for (const userId of Object.values(users)) {
      const membership = await ctx.db
        .query("memberships")
        .withIndex("by_orgId_and_userId", (q) => q.eq("orgId", orgId!).eq("userId", userId))
        .unique();
      await ctx.db.patch("memberships", membership!._id, { source: "webhook", clerkUpdatedAt: 1 });
    }
  });
  const projectId = await as.admin.mutation(api.projects.create, { name: `Roadmap ${key}` });
  const archivedProjectId = await as.admin.mutation(api.projects.create, { name: `Archive ${key}` });
  const taskIds = [
    await as.admin.mutation(api.tasks.create, {
      projectId,
      title: `Plan ${key}`,
      description: `Secret plan of ${key}`,
    }),
    await as.admin.mutation(api.tasks.create, {
      projectId,
      title: `Build ${key}`,
      status: "in_progress",
      assigneeId: users.member,
    }),
    await as.admin.mutation(api.tasks.create, { projectId, title: `Ship ${key}`, status: "done" }),
  ];
  await as.admin.mutation(api.tasks.create, { projectId: archivedProjectId, title: `Old ${key}` });
  await as.admin.mutation(api.projects.archive, { id: archivedProjectId });
  await requireRowsInEveryTenantTable(t, orgId, `seedOrg(t, "${key}")`);
  return { orgClerkId: `org_${key}`, orgId, users, as, projectId, archivedProjectId, taskIds };
}

/**
 * Throws unless organization `orgId` has a row in every tenant table of the registry
 * (convex/model/tables.ts) but the retired ones: a table a seed leaves empty is one the
 * cross-tenant harness would pass over without a word.
 */
export async function requireRowsInEveryTenantTable(t: Backend, orgId: Id<"organizations">, seed: string) {
  const empty = await t.run(async (ctx) => {
    const missing: string[] = [];
    for (const table of TENANT_TABLES) {
      if ("retired" in TABLES[table]) continue;
      const rows = await takeByIndex(ctx.db, table, TABLES[table].orgIndex, [["orgId", orgId]], 1);
      if (rows.length === 0) missing.push(table);
    }
    return missing;
  });
  if (empty.length > 0) {
    throw new Error(
      `${seed} wrote no row of ${empty.join(", ")} for its organization. Seed every tenant table ` +
        "(tests/convex/fixtures.ts, tests/convex/bulk.ts): the cross-tenant harness passes vacuously for an empty one.",
    );
  }
}

/** Two organizations, A (the target) and B (whose admin plays the outsider to A). */
export async function seedWorld(t: Backend) {
  const a = await seedOrg(t, "A");
  const b = await seedOrg(t, "B");
  return { a, b };
}

export type World = Awaited<ReturnType<typeof seedWorld>>;

/**
 * Every row that belongs to organization `orgId` or mentions one of its ids (a project, task, user
 * or membership of it), by table, for before/after comparisons. Catches a write that lands under
 * another organization but points at this one's records.
 */
export async function snapshotOrg(t: Backend, orgId: Id<"organizations">) {
  const { tables, owned } = await t.run(async (ctx) => {
    // A test helper over a small seeded world; unbounded reads are fine here.
    const all = Object.fromEntries(
      await Promise.all(
        SCHEMA_TABLES.map(
          async (table) => [table, (await ctx.db.query(table).collect()) as Record<string, unknown>[]] as const,
        ),
      ),
    );
    const owned = new Set<string>([orgId]);
    for (const rows of Object.values(all)) {
      for (const row of rows) if (row.orgId === orgId) owned.add(row._id as string);
    }
    for (const membership of all.memberships!) {
      if (membership.orgId === orgId) owned.add(membership.userId as string);
    }
    const mentions = (row: Record<string, unknown>) =>
      Object.values(row).some((value) => typeof value === "string" && owned.has(value));
    const tables = Object.fromEntries(Object.entries(all).map(([table, rows]) => [table, rows.filter(mentions)]));
    return { tables, owned: [...owned] };
  });
  const ownedIds = new Set(owned);
  // Counter keys are made of the ids they count for (convex/model/counters.ts).
  const counters = (await counterRows(t)).filter((row) =>
    String(row.name)
      .split(":")
      .some((part) => ownedIds.has(part)),
  );
  return { ...tables, [COUNTER_ROWS]: counters };
}

/** Every row of every table, and the sharded counter's, for "nothing was written" checks. */
export async function dumpAll(t: Backend) {
  // Small test worlds only: unbounded reads are fine here.
  const tables = await t.run(async (ctx) =>
    Object.fromEntries(
      await Promise.all(SCHEMA_TABLES.map(async (table) => [table, await ctx.db.query(table).collect()])),
    ),
  );
  return { ...tables, [COUNTER_ROWS]: await counterRows(t) };
}

/** Where snapshotOrg and dumpAll put the sharded counter's rows (the component's `counters` table). */
export const COUNTER_ROWS = "shardedCounter.counters";

type ComponentRunner = {
  runInComponent<T>(
    path: string,
    handler: (ctx: { db: GenericDatabaseReader<GenericDataModel> }) => Promise<T>,
  ): Promise<T>;
};

/**
 * Every row of the sharded counter component (`shardedCounter` in convex/convex.config.ts): the
 * counts live there, outside the app's tables.
 */
export async function counterRows(t: Backend): Promise<Record<string, unknown>[]> {
  // convex-test runs a handler inside a component with runInComponent, which its types leave out.
  const runner = t as unknown as ComponentRunner;
  return await runner.runInComponent(
    "shardedCounter",
    async (ctx) => (await ctx.db.query("counters").collect()) as Record<string, unknown>[],
  );
}

/** Every table of the schema, so a new table is covered without editing this file. */
const SCHEMA_TABLES = Object.keys(schema.tables) as TableNames[];
