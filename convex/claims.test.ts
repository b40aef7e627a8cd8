import { describe, expect, it } from "vitest";
import { api } from "./_generated/api";
import { parseOrgClaims } from "./model/claims";
import { claimsFor, seedOrg, type TokenShape } from "./test.fixtures";
import { newBackend } from "./test.setup";

const SHAPES: TokenShape[] = ["v2", "flat", "template"];

describe("parseOrgClaims", () => {
  it.each(SHAPES)("reads organization, slug, role and table permissions from the %s shape", (shape) => {
    const claims = claimsFor("user_1", { clerkId: "org_1", slug: "acme", role: "org:member" }, shape);
    expect(parseOrgClaims(claims as Record<string, unknown>)).toEqual({
      status: "active",
      org: { clerkId: "org_1", slug: "acme", role: "org:member", permissions: ["org:tasks:write"] },
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
      org: { clerkId: "org_1", slug: null, role: "org:admin", permissions: ["org:usage:read"] },
    });
  });

  it("decodes Clerk's session-token encoding (fea features, o.per actions, o.fpm bitmasks)", () => {
    const admin = {
      fea: "o:projects,o:tasks,o:usage",
      o: { id: "org_1", rol: "admin", per: "manage,write,read", fpm: "1,2,4" },
    };
    expect(parseOrgClaims(admin)).toMatchObject({
      org: { permissions: ["org:projects:manage", "org:tasks:write", "org:usage:read"] },
    });
    // Bit j of a feature's mask grants action j; keys that are not this app's are dropped.
    const mixed = {
      fea: "u:profile,o:tasks,ou:projects",
      o: { id: "org_1", rol: "member", per: "write,manage", fpm: "1,3" },
    };
    expect(parseOrgClaims(mixed)).toMatchObject({ org: { permissions: ["org:tasks:write", "org:projects:manage"] } });
    const flat = { fea: "o:tasks", "o.id": "org_1", "o.rol": "member", "o.per": "write", "o.fpm": "1" };
    expect(parseOrgClaims(flat)).toMatchObject({ org: { permissions: ["org:tasks:write"] } });
  });

  it("accepts full permission keys, with or without the org: prefix, when no bitmask comes with them", () => {
    const result = parseOrgClaims({ o: { id: "org_1", rol: "member", per: "tasks:write, org:projects:manage" } });
    expect(result).toMatchObject({ org: { permissions: ["org:tasks:write", "org:projects:manage"] } });
  });

  it("reports no organization when the token has none", () => {
    expect(parseOrgClaims(claimsFor("user_1") as Record<string, unknown>)).toEqual({ status: "none" });
    expect(parseOrgClaims({ o: null, org_id: null })).toEqual({ status: "none" });
  });

  it("gives an unknown role no permissions, even when the token lists some", () => {
    for (const shape of SHAPES) {
      const claims = claimsFor(
        "user_1",
        { clerkId: "org_1", role: "org:superuser", permissions: ["org:projects:manage"] },
        shape,
      );
      expect(parseOrgClaims(claims as Record<string, unknown>)).toMatchObject({
        status: "active",
        org: { role: "org:superuser", permissions: [] },
      });
    }
  });

  it.each([
    ["o is a string", { o: "org_1" }],
    ["o is an array", { o: ["org_1"] }],
    ["o.id is a number", { o: { id: 42, rol: "admin" } }],
    ["o.id is empty", { o: { id: "", rol: "admin" } }],
    ["o.rol is missing", { o: { id: "org_1" } }],
    ["o.rol is an object", { o: { id: "org_1", rol: { admin: true } } }],
    ["o.per is a number", { o: { id: "org_1", rol: "admin", per: 7 } }],
    ["o.slg is a number", { o: { id: "org_1", rol: "admin", slg: 7 } }],
    ["o.fpm is not a number list", { fea: "o:tasks", o: { id: "org_1", rol: "admin", per: "write", fpm: "x" } }],
    ["fea has an element without a scope", { fea: "tasks", o: { id: "org_1", rol: "admin", per: "write", fpm: "1" } }],
    ["o.fpm comes without fea", { o: { id: "org_1", rol: "admin", per: "write", fpm: "1" } }],
    ["o.id flattened is null-like", { "o.id": false, "o.rol": "admin" }],
    ["org_role is a list", { org_id: "org_1", org_role: ["org:admin"] }],
    ["org_permissions holds numbers", { org_id: "org_1", org_role: "org:admin", org_permissions: [1, 2] }],
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
    const as = t.withIdentity({ subject: "user_1", o: { id: 42, rol: "admin" } } as never);
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
