import { describe, expect, it, vi } from "vitest";
import { claimsFor, seedOrg, seedWorld } from "../tests/convex/fixtures";
import { newBackend } from "../tests/convex/setup";
import { api } from "./_generated/api";

const page = { paginationOpts: { numItems: 10, cursor: null } };

describe("auth.config", () => {
  it("trusts Clerk's issuer with applicationID convex", async () => {
    vi.resetModules();
    const { default: config } = await import("./auth.config");
    expect(config.providers).toEqual([{ domain: "https://test.clerk.example", applicationID: "convex" }]);
  });

  it("names the variable and the command to set it when CLERK_JWT_ISSUER_DOMAIN is missing", async () => {
    vi.resetModules();
    vi.stubEnv("CLERK_JWT_ISSUER_DOMAIN", "");
    try {
      await expect(import("./auth.config")).rejects.toThrow(/npx convex env set CLERK_JWT_ISSUER_DOMAIN/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("organizations.current", () => {
  it("returns the organization with the caller's effective role and permissions", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    expect(await a.as.billing.query(api.organizations.current, {})).toEqual({
      _id: a.orgId,
      name: "org-a",
      slug: "org-a",
      role: "org:billing",
      permissions: ["org:usage:read"],
    });
  });
});

describe("organizations.members", () => {
  it("lists current members with roles, not removed ones, and not other organizations'", async () => {
    const t = newBackend();
    const { a } = await seedWorld(t);
    await t.run(async (ctx) => {
      const membership = await ctx.db
        .query("memberships")
        .withIndex("by_orgId_and_userId", (q) => q.eq("orgId", a.orgId).eq("userId", a.users.billing))
        .unique();
      await ctx.db.patch("memberships", membership!._id, { deletedAt: Date.now() });
    });
    const members = await a.as.viewer.query(api.organizations.members, page);
    expect(members.page.map((m) => [m.user.name, m.role, m.synced]).sort()).toEqual([
      ["A admin", "org:admin", true],
      ["A member", "org:member", true],
      ["A viewer", "org:viewer", true],
    ]);
  });

  it("marks a member known only from their token as not yet synced", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await t
      .withIdentity(claimsFor("user_late", { clerkId: "org_A", role: "org:member" }))
      .mutation(api.users.ensure, {});
    const members = await a.as.viewer.query(api.organizations.members, page);
    expect(members.page.find((m) => !m.synced)).toMatchObject({ role: "org:member", user: { name: "Unnamed user" } });
  });
});

describe("organizations.usage", () => {
  it("counts members, projects and tasks from the counters", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    expect(await a.as.billing.query(api.organizations.usage, {})).toEqual({ members: 4, projects: 2, tasks: 4 });
    await a.as.admin.mutation(api.projects.remove, { id: a.archivedProjectId });
    expect(await a.as.billing.query(api.organizations.usage, {})).toEqual({ members: 4, projects: 1, tasks: 3 });
  });

  it("refuses a caller without org:usage:read, even before their rows exist", async () => {
    const t = newBackend();
    const as = t.withIdentity(claimsFor("user_1", { clerkId: "org_1", role: "org:member" }));
    await expect(as.query(api.organizations.usage, {})).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
  });
});

describe("dashboard.counts", () => {
  it("follows every task change live from the counters", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    const before = await a.as.viewer.query(api.dashboard.counts, {});
    expect(before).toEqual({ tasks: { todo: 2, in_progress: 1, done: 1 }, projects: 2 });
    await a.as.member.mutation(api.tasks.move, { id: a.taskIds[0]!, status: "done" });
    expect(await a.as.viewer.query(api.dashboard.counts, {})).toEqual({
      tasks: { todo: 1, in_progress: 1, done: 2 },
      projects: 2,
    });
  });
});

describe("activity.list", () => {
  it("pages the feed newest first", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    const first = await a.as.viewer.query(api.activity.list, { paginationOpts: { numItems: 3, cursor: null } });
    expect(first.page.map((e) => e.action)).toEqual(["project.archived", "task.created", "task.created"]);
    const rest = await a.as.viewer.query(api.activity.list, {
      paginationOpts: { numItems: 10, cursor: first.continueCursor },
    });
    expect(rest.page.map((e) => e.action)).toEqual([
      "task.created",
      "task.created",
      "project.created",
      "project.created",
    ]);
    expect(rest.isDone).toBe(true);
  });

  it("keeps entries readable after their author is deleted", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await t.run(async (ctx) => ctx.db.patch("users", a.users.admin, { deletedAt: Date.now(), name: undefined }));
    const feed = await a.as.viewer.query(api.activity.list, page);
    expect(feed.page[0]).toMatchObject({ actor: { name: "Deleted user", deleted: true }, label: "Archive A" });
  });
});
