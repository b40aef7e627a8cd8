import { describe, expect, it } from "vitest";
import { callByName } from "../tests/convex/call";
import { CALLERS, FUNCTION_CASES } from "../tests/convex/cases";
import { discoverPublicFunctions } from "../tests/convex/discovery";
import { claimsFor, ORG_ROLES, seedOrg, type OrgRoleName } from "../tests/convex/fixtures";
import { modules, newBackend } from "../tests/convex/setup";
import { api } from "./_generated/api";

const functions = await discoverPublicFunctions(modules);
const page = { paginationOpts: { numItems: 10, cursor: null } };

describe("users.ensure", () => {
  it("provisions user, organization and membership from the token before any webhook", async () => {
    const t = newBackend();
    const as = t.withIdentity(
      claimsFor("user_new", { clerkId: "org_new", slug: "newco", role: "org:admin" }, "v2", {
        name: "Ada",
        email: "ada@newco.example",
      }),
    );
    // Before ensure: queries answer with nothing rather than failing.
    expect(await as.query(api.users.me, {})).toMatchObject({
      user: null,
      org: { status: "active", clerkId: "org_new" },
    });
    expect(await as.query(api.organizations.current, {})).toBeNull();
    expect(await as.query(api.projects.list, page)).toMatchObject({ page: [], isDone: true });
    expect(await as.query(api.dashboard.counts, {})).toEqual({
      tasks: { todo: 0, in_progress: 0, done: 0 },
      projects: 0,
    });

    const first = await as.mutation(api.users.ensure, {});
    const again = await as.mutation(api.users.ensure, {});
    expect(again).toEqual(first);

    const rows = await t.run(async (ctx) => ({
      users: await ctx.db.query("users").collect(),
      orgs: await ctx.db.query("organizations").collect(),
      memberships: await ctx.db.query("memberships").collect(),
    }));
    expect(rows.users).toMatchObject([{ clerkId: "user_new", name: "Ada", email: "ada@newco.example" }]);
    expect(rows.orgs).toMatchObject([{ clerkId: "org_new", slug: "newco", name: "newco" }]);
    expect(rows.memberships).toMatchObject([{ role: "org:admin", source: "token" }]);
    expect(await as.query(api.organizations.usage, {})).toEqual({ members: 1, projects: 0, tasks: 0 });
  });

  it.each(ORG_ROLES)("lets a first-time %s use every function their token's role allows", async (role: OrgRoleName) => {
    for (const fn of functions) {
      // A fresh world per function: an existing organization with data, and a newcomer nobody
      // has synced yet, who signs in (ensure) and calls the function.
      const t = newBackend();
      const a = await seedOrg(t, "A");
      const newcomer = t.withIdentity(claimsFor(`user_new_${role}`, { clerkId: "org_A", role: `org:${role}` }));
      await newcomer.mutation(api.users.ensure, {});
      const expected = FUNCTION_CASES[fn.name]!.expect[role];
      const result = await callByName(newcomer, fn.kind, fn.name, FUNCTION_CASES[fn.name]!.args({ a, b: a }));
      if (expected === "ok" || expected === "null") {
        expect(result, `${fn.name} as a new ${role}`).toMatchObject({ ok: true });
      } else {
        expect(result, `${fn.name} as a new ${role}`).toMatchObject({ ok: false, code: expected });
      }
    }
    expect(CALLERS).toContain(role);
  });

  it("keeps a token-provisioned membership's role in step with the newest token", async () => {
    const t = newBackend();
    await t.withIdentity(claimsFor("user_1", { clerkId: "org_1", role: "org:member" })).mutation(api.users.ensure, {});
    const promoted = t.withIdentity(claimsFor("user_1", { clerkId: "org_1", role: "org:admin" }));
    await promoted.mutation(api.users.ensure, {});
    expect(await promoted.query(api.organizations.current, {})).toMatchObject({ role: "org:admin" });
    const memberships = await t.run((ctx) => ctx.db.query("memberships").collect());
    expect(memberships).toHaveLength(1);
  });

  it("provisions from a mutation too, so the first write works without ensure", async () => {
    const t = newBackend();
    const as = t.withIdentity(claimsFor("user_1", { clerkId: "org_1", role: "org:admin" }));
    await as.mutation(api.projects.create, { name: "First" });
    expect(await as.query(api.projects.list, page)).toMatchObject({ page: [{ name: "First" }] });
  });

  it("refuses a signed-out caller", async () => {
    const t = newBackend();
    await expect(t.mutation(api.users.ensure, {})).rejects.toMatchObject({ data: { code: "UNAUTHENTICATED" } });
  });
});

describe("users.me", () => {
  it("returns the synced user row and the token's organization", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    expect(await a.as.member.query(api.users.me, {})).toEqual({
      clerkId: "user_A_member",
      user: { _id: a.users.member, name: "A member", email: "member@a.example" },
      org: { status: "active", clerkId: "org_A", slug: "org-a", role: "org:member" },
    });
  });
});
