import { describe, expect, it } from "vitest";
import { claimsFor, memberClaims, seedOrg, type TokenShape } from "../tests/convex/fixtures";
import { newBackend } from "../tests/convex/setup";
import { api } from "./_generated/api";
import { parseOrgClaims } from "./model/auth/claims";

const SHAPES: TokenShape[] = ["v2", "flat", "template"];

describe("parseOrgClaims", () => {
  it.each(SHAPES)("reads organization, slug, role and table permissions from the %s shape", (shape) => {
    const claims = claimsFor("user_1", { clerkId: "org_1", slug: "acme", role: "org:member" }, shape);
    expect(parseOrgClaims(claims as Record<string, unknown>)).toEqual({
      status: "active",
      org: {
        clerkId: "org_1",
        slug: "acme",
        role: "org:member",
        permissions: ["org:tasks:write"],
        permissionsFrom: "role",
      },
    });
  });

  it.each(SHAPES)("uses the permissions a %s token carries instead of the role table", (shape) => {
    const claims = claimsFor(
      "user_1",
      { clerkId: "org_1", role: "org:admin", permissions: ["org:usage:read", "org:sys_memberships:manage"] },
      shape,
    );
    expect(parseOrgClaims(claims as Record<string, unknown>)).toEqual({
      status: "active",
      org: {
        clerkId: "org_1",
        slug: null,
        role: "org:admin",
        permissions: ["org:usage:read"],
        permissionsFrom: "token",
      },
    });
  });

  it("decodes Clerk's session-token encoding (fea features, o.per actions, o.fpm bitmasks)", () => {
    const admin = {
      v: 2,
      fea: "o:projects,o:tasks,o:usage",
      o: { id: "org_1", rol: "admin", per: "manage,write,read", fpm: "1,2,4" },
    };
    expect(parseOrgClaims(admin)).toMatchObject({
      org: { permissions: ["org:projects:manage", "org:tasks:write", "org:usage:read"] },
    });
    // Bit j of a feature's mask grants action j; keys that are not this app's are dropped.
    const mixed = {
      v: 2,
      fea: "u:profile,o:tasks,ou:projects",
      o: { id: "org_1", rol: "member", per: "write,manage", fpm: "1,3" },
    };
    expect(parseOrgClaims(mixed)).toMatchObject({ org: { permissions: ["org:tasks:write", "org:projects:manage"] } });
    const flat = { v: 2, fea: "o:tasks", "o.id": "org_1", "o.rol": "member", "o.per": "write", "o.fpm": "1" };
    expect(parseOrgClaims(flat)).toMatchObject({ org: { permissions: ["org:tasks:write"] } });
  });

  it("decodes masks of any length, digit by digit, as Clerk does", () => {
    // 2^70 + 2^1: bit 1 grants `write`; bit 70 is past the last action and grants nothing.
    const actions = ["manage", "write", ...Array.from({ length: 80 }, (_, i) => `a${i}`)];
    const mask = (2n ** 70n + 2n).toString();
    const claims = { v: 2, fea: "o:tasks", o: { id: "org_1", rol: "member", per: actions.join(","), fpm: mask } };
    const result = parseOrgClaims(claims);
    expect(result).toMatchObject({
      status: "active",
      org: { permissions: ["org:tasks:write"], permissionsFrom: "token" },
    });
  });

  it("grants a feature nothing when its mask is not a number, and keeps the other features", () => {
    const claims = {
      v: 2,
      fea: "o:projects,o:tasks",
      o: { id: "org_1", rol: "admin", per: "manage,write", fpm: "x,2" },
    };
    expect(parseOrgClaims(claims)).toMatchObject({ status: "active", org: { permissions: ["org:tasks:write"] } });
  });

  it("reads o.fpm without fea as no feature permissions, not as malformed", () => {
    const claims = { v: 2, o: { id: "org_1", rol: "admin", per: "write", fpm: "1" } };
    expect(parseOrgClaims(claims)).toEqual({
      status: "active",
      org: { clerkId: "org_1", slug: null, role: "org:admin", permissions: [], permissionsFrom: "token" },
    });
  });

  it.each([
    ["fea lists features but o.per/o.fpm are left out (Clerk Billing: the plan lacks them)", { fea: "u:profile" }, {}],
    ["only the plan is named", { pla: "o:free" }, {}],
    ["o.per comes without o.fpm", {}, { per: "manage,write,read" }],
    ["o.fpm comes without o.per", {}, { fpm: "7" }],
  ])("grants nothing, rather than the role table, when %s", (_case, top, org) => {
    const claims = { v: 2, ...top, o: { id: "org_1", rol: "admin", ...org } };
    expect(parseOrgClaims(claims)).toMatchObject({
      status: "active",
      org: { role: "org:admin", permissions: [], permissionsFrom: "token" },
    });
  });

  it("falls back to the role table only for a token with no permission claims at all", () => {
    expect(parseOrgClaims({ v: 2, o: { id: "org_1", rol: "admin" } })).toMatchObject({
      org: { permissions: ["org:projects:manage", "org:tasks:write", "org:usage:read"], permissionsFrom: "role" },
    });
    expect(parseOrgClaims({ org_id: "org_1", org_role: "org:billing" })).toMatchObject({
      org: { permissions: ["org:usage:read"], permissionsFrom: "role" },
    });
    // A template's permission claim that is not a list grants nothing (Clerk's has() reads only lists).
    expect(
      parseOrgClaims({ org_id: "org_1", org_role: "org:admin", org_permissions: "org:tasks:write" }),
    ).toMatchObject({
      org: { permissions: [], permissionsFrom: "token" },
    });
  });

  it("reads the shape from the token's version, as Clerk does", () => {
    // Without `v: 2` a token is read as a template (org_*), so an `o` claim names no organization.
    expect(parseOrgClaims({ o: { id: "org_1", rol: "admin" } })).toEqual({ status: "none" });
    expect(parseOrgClaims({ v: 2, org_id: "org_1", org_role: "org:admin" })).toEqual({ status: "none" });
  });

  it("reports no organization when the token has none", () => {
    expect(parseOrgClaims(claimsFor("user_1") as Record<string, unknown>)).toEqual({ status: "none" });
    expect(parseOrgClaims({ o: null, org_id: null })).toEqual({ status: "none" });
    expect(parseOrgClaims({ v: 2, o: { id: "", rol: "admin" } })).toEqual({ status: "none" });
  });

  it("gives a role this app does not know what its token grants, and nothing from the table", () => {
    for (const shape of SHAPES) {
      const granted = claimsFor(
        "user_1",
        { clerkId: "org_1", role: "org:lead", permissions: ["org:tasks:write"] },
        shape,
      );
      expect(parseOrgClaims(granted as Record<string, unknown>)).toMatchObject({
        status: "active",
        org: { role: "org:lead", permissions: ["org:tasks:write"] },
      });
      const silent = claimsFor("user_1", { clerkId: "org_1", role: "org:lead" }, shape);
      expect(parseOrgClaims(silent as Record<string, unknown>)).toMatchObject({
        org: { role: "org:lead", permissions: [], permissionsFrom: "role" },
      });
    }
  });

  it("compares roles as Clerk does, with any run of org: prefixes collapsed", () => {
    expect(parseOrgClaims({ v: 2, o: { id: "org_1", rol: "org:admin" } })).toMatchObject({
      org: { role: "org:admin" },
    });
    expect(parseOrgClaims({ org_id: "org_1", org_role: "admin" })).toMatchObject({ org: { role: "org:admin" } });
  });

  it.each([
    ["o is a string", { v: 2, o: "org_1" }],
    ["o is an array", { v: 2, o: ["org_1"] }],
    ["o.id is a number", { v: 2, o: { id: 42, rol: "admin" } }],
    ["o.rol is missing", { v: 2, o: { id: "org_1" } }],
    ["o.rol is an object", { v: 2, o: { id: "org_1", rol: { admin: true } } }],
    ["o.per is a number", { v: 2, o: { id: "org_1", rol: "admin", per: 7 } }],
    ["o.slg is a number", { v: 2, o: { id: "org_1", rol: "admin", slg: 7 } }],
    [
      "fea has an element without a scope",
      { v: 2, fea: "tasks", o: { id: "org_1", rol: "admin", per: "write", fpm: "1" } },
    ],
    ["fea is a list", { v: 2, fea: ["o:tasks"], o: { id: "org_1", rol: "admin", per: "write", fpm: "1" } }],
    ["o.id flattened is not a string", { v: 2, "o.id": false, "o.rol": "admin" }],
    ["org_role is a list", { org_id: "org_1", org_role: ["org:admin"] }],
    ["org_id is an object", { org_id: { id: "org_1" }, org_role: "org:admin" }],
  ])("marks malformed claims (%s) without throwing", (_case, claims) => {
    expect(parseOrgClaims(claims)).toMatchObject({ status: "malformed" });
  });
});

describe("claims through the functions", () => {
  it.each(SHAPES)("a %s token reaches its organization with its role", async (shape) => {
    const t = newBackend();
    const as = t.withIdentity(claimsFor("user_1", { clerkId: "org_1", slug: "acme", role: "org:admin" }, shape));
    await as.mutation(api.users.ensure, {});
    expect(await as.query(api.organizations.current, {})).toMatchObject({
      slug: "acme",
      role: "org:admin",
      permissions: ["org:projects:manage", "org:tasks:write", "org:usage:read"],
    });
    await expect(as.mutation(api.projects.create, { name: "Works" })).resolves.toBeTruthy();
  });

  it("refuses organization functions for a token with no active organization", async () => {
    const t = newBackend();
    const as = t.withIdentity(claimsFor("user_1"));
    expect(await as.mutation(api.users.ensure, {})).toMatchObject({ orgId: null });
    expect(await as.query(api.users.me, {})).toMatchObject({ clerkId: "user_1", org: { status: "none" } });
    await expect(as.query(api.projects.list, { paginationOpts: { numItems: 5, cursor: null } })).rejects.toMatchObject({
      data: { code: "FORBIDDEN", message: expect.stringContaining("No active organization") },
    });
    await expect(as.mutation(api.projects.create, { name: "x" })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
    });
  });

  it("denies, never crashes, on malformed organization claims", async () => {
    const t = newBackend();
    const as = t.withIdentity({ subject: "user_1", v: 2, o: { id: 42, rol: "admin" } } as never);
    await expect(as.query(api.organizations.current, {})).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(as.mutation(api.users.ensure, {})).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    expect(await as.query(api.users.me, {})).toMatchObject({ org: { status: "malformed" } });
  });

  it("lets an unknown role read but not write", async () => {
    const t = newBackend();
    const { projectId } = await seedOrg(t, "A");
    const as = t.withIdentity(claimsFor("user_x", { clerkId: "org_A", role: "org:superuser" }));
    await as.mutation(api.users.ensure, {});
    expect(await as.query(api.projects.get, { id: projectId })).toMatchObject({ name: "Roadmap A" });
    await expect(as.mutation(api.tasks.create, { projectId, title: "x" })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
    });
  });
});

describe("pending sessions", () => {
  it.each(["v2", "flat", "template"] as const)(
    "refuse a %s token whose session is pending, for queries and mutations alike",
    async (shape) => {
      const t = newBackend();
      const a = await seedOrg(t, "A");
      const pending = t.withIdentity(memberClaims("A", "admin", shape, { sts: "pending" }));
      const refused = { data: { code: "UNAUTHENTICATED", message: expect.stringContaining("not finished") } };
      await expect(
        pending.query(api.projects.list, { paginationOpts: { numItems: 5, cursor: null } }),
      ).rejects.toMatchObject(refused);
      await expect(pending.query(api.organizations.current, {})).rejects.toMatchObject(refused);
      await expect(pending.query(api.users.me, {})).rejects.toMatchObject(refused);
      await expect(pending.mutation(api.projects.create, { name: "x" })).rejects.toMatchObject(refused);
      await expect(pending.mutation(api.users.ensure, {})).rejects.toMatchObject(refused);
      // The same caller, once the session is active, gets in.
      const active = t.withIdentity(memberClaims("A", "admin", shape, { sts: "active" }));
      await expect(active.mutation(api.projects.create, { name: "x" })).resolves.toBeTruthy();
      expect(a.orgId).toBeTruthy();
    },
  );
});

describe("the synced membership as the second check", () => {
  it("denies a user whose membership was removed, whatever the token still says", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await t.run(async (ctx) => {
      const membership = await ctx.db
        .query("memberships")
        .withIndex("by_orgId_and_userId", (q) => q.eq("orgId", a.orgId).eq("userId", a.users.member))
        .unique();
      await ctx.db.patch("memberships", membership!._id, { deletedAt: Date.now() });
    });
    for (const call of [
      a.as.member.query(api.projects.list, { paginationOpts: { numItems: 5, cursor: null } }),
      a.as.member.query(api.projects.get, { id: a.projectId }),
      a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: "x" }),
      a.as.member.mutation(api.users.ensure, {}),
    ]) {
      await expect(call).rejects.toMatchObject({
        data: { code: "FORBIDDEN", message: "You are no longer a member of this organization." },
      });
    }
  });

  it("uses the lesser of the token's role and the synced membership's", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    // Clerk demoted the admin to viewer; the webhook arrived, the 60 s token still says admin.
    await t.run(async (ctx) => {
      const membership = await ctx.db
        .query("memberships")
        .withIndex("by_orgId_and_userId", (q) => q.eq("orgId", a.orgId).eq("userId", a.users.admin))
        .unique();
      await ctx.db.patch("memberships", membership!._id, { role: "org:viewer" });
    });
    expect(await a.as.admin.query(api.organizations.current, {})).toMatchObject({
      role: "org:viewer",
      permissions: [],
    });
    await expect(a.as.admin.mutation(api.projects.create, { name: "x" })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
    });
    // A synced membership never raises a token's role either.
    const promoted = await t.run(async (ctx) => {
      const membership = await ctx.db
        .query("memberships")
        .withIndex("by_orgId_and_userId", (q) => q.eq("orgId", a.orgId).eq("userId", a.users.viewer))
        .unique();
      await ctx.db.patch("memberships", membership!._id, { role: "org:admin" });
      return membership!._id;
    });
    expect(promoted).toBeTruthy();
    expect(await a.as.viewer.query(api.organizations.current, {})).toMatchObject({
      role: "org:viewer",
      permissions: [],
    });
  });

  it("keeps the permissions Clerk put in the token while the synced membership holds the same role", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    // A custom role this app's table does not know, granted org:tasks:write in Clerk.
    const lead = t.withIdentity(
      claimsFor("user_lead", { clerkId: "org_A", role: "org:lead", permissions: ["org:tasks:write"] }),
    );
    await lead.mutation(api.users.ensure, {});
    await t.run(async (ctx) => {
      const user = await ctx.db
        .query("users")
        .withIndex("by_clerkId", (q) => q.eq("clerkId", "user_lead"))
        .unique();
      const membership = await ctx.db
        .query("memberships")
        .withIndex("by_orgId_and_userId", (q) => q.eq("orgId", a.orgId).eq("userId", user!._id))
        .unique();
      await ctx.db.patch("memberships", membership!._id, { source: "webhook", role: "org:lead" });
    });
    await expect(lead.mutation(api.tasks.create, { projectId: a.projectId, title: "x" })).resolves.toBeTruthy();
    expect(await lead.query(api.organizations.current, {})).toMatchObject({
      role: "org:lead",
      permissions: ["org:tasks:write"],
    });
  });

  it("denies everyone in a deleted organization and a deleted user everywhere", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await t.run(async (ctx) => ctx.db.patch("users", a.users.member, { deletedAt: Date.now() }));
    await expect(a.as.member.query(api.dashboard.counts, {})).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(a.as.member.query(api.users.me, {})).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await t.run(async (ctx) => ctx.db.patch("organizations", a.orgId, { deletedAt: Date.now() }));
    await expect(a.as.admin.query(api.dashboard.counts, {})).rejects.toMatchObject({
      data: { code: "FORBIDDEN", message: expect.stringContaining("deleted") },
    });
    await expect(a.as.admin.mutation(api.users.ensure, {})).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
  });
});
