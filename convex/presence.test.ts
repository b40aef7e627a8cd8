import { afterEach, describe, expect, it, vi } from "vitest";
import { claimsFor, seedOrg, seedWorld, type Caller } from "../tests/convex/fixtures";
import { newBackend } from "../tests/convex/setup";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { HEARTBEAT_INTERVAL_MS, VIEWERS_COUNTED, VIEWERS_LISTED } from "./model/presence";

const TAB_1 = "tab-aaaaaaaaaaaaaaaa";
const TAB_2 = "tab-bbbbbbbbbbbbbbbb";

/** The session timeout: the component drops a session 2.5 heartbeat intervals after its last one. */
const TIMEOUT_MS = HEARTBEAT_INTERVAL_MS * 2.5;

const names = async (caller: Caller, projectId: Id<"projects">) =>
  (await caller.query(api.presence.list, { projectId })).viewers.map((person) => person.name);

afterEach(() => {
  vi.useRealTimers();
});

describe("presence.heartbeat and presence.list", () => {
  it("shows every member the others on the board, never themselves", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    expect(await a.as.admin.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_1 })).toEqual({
      intervalMs: HEARTBEAT_INTERVAL_MS,
    });
    await a.as.member.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_2 });

    expect(await a.as.admin.query(api.presence.list, { projectId: a.projectId })).toEqual({
      viewers: [{ _id: a.users.member, name: "A member", deleted: false }],
      total: 1,
      more: false,
    });
    expect(await names(a.as.member, a.projectId)).toEqual(["A admin"]);
    // Someone who is not on the board (the dashboard) sees both, in the order they arrived.
    expect(await names(a.as.viewer, a.projectId)).toEqual(["A admin", "A member"]);
  });

  it("answers nobody when the caller is alone on the board", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.admin.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_1 });
    expect(await a.as.admin.query(api.presence.list, { projectId: a.projectId })).toEqual({
      viewers: [],
      total: 0,
      more: false,
    });
  });

  it("takes names and pictures from the users table, and follows changes to them", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.member.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_1 });
    await t.run((ctx) =>
      ctx.db.patch("users", a.users.member, { name: "Mia Member", imageUrl: "https://img.example/mia.png" }),
    );
    expect((await a.as.admin.query(api.presence.list, { projectId: a.projectId })).viewers).toEqual([
      { _id: a.users.member, name: "Mia Member", imageUrl: "https://img.example/mia.png", deleted: false },
    ]);
  });

  it("keeps each project's board apart", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.member.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_1 });
    await a.as.viewer.mutation(api.presence.heartbeat, { projectId: a.archivedProjectId, sessionId: TAB_2 });
    expect(await names(a.as.admin, a.projectId)).toEqual(["A member"]);
    expect(await names(a.as.admin, a.archivedProjectId)).toEqual(["A viewer"]);
  });

  it("lets another organization neither join nor list a board, and shows it nobody from it", async () => {
    const t = newBackend();
    const { a, b } = await seedWorld(t);
    await a.as.member.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_1 });
    for (const outsider of [b.as.admin, b.as.member, b.as.viewer]) {
      await expect(
        outsider.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_2 }),
      ).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
      await expect(outsider.query(api.presence.list, { projectId: a.projectId })).rejects.toMatchObject({
        data: { code: "NOT_FOUND" },
      });
      await expect(
        outsider.mutation(api.presence.disconnect, { projectId: a.projectId, sessionId: TAB_1 }),
      ).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    }
    // A's member is still there for A, and A's board never shows anyone of B.
    expect(await names(a.as.admin, a.projectId)).toEqual(["A member"]);
    await b.as.member.mutation(api.presence.heartbeat, { projectId: b.projectId, sessionId: TAB_1 });
    expect(await names(a.as.admin, a.projectId)).toEqual(["A member"]);
    expect(await names(b.as.admin, b.projectId)).toEqual(["B member"]);
  });

  it("refuses a member removed from the organization", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await t.run(async (ctx) => {
      const membership = await ctx.db
        .query("memberships")
        .withIndex("by_orgId_and_userId", (q) => q.eq("orgId", a.orgId).eq("userId", a.users.member))
        .unique();
      await ctx.db.patch("memberships", membership!._id, { deletedAt: Date.now() });
    });
    await expect(
      a.as.member.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_1 }),
    ).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(a.as.member.query(api.presence.list, { projectId: a.projectId })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
    });
  });

  it.each(["", "short", "x".repeat(65), "tab with spaces!!!", "../../admin|room|x"])(
    "refuses the session id %j",
    async (sessionId) => {
      const t = newBackend();
      const a = await seedOrg(t, "A");
      await expect(
        a.as.member.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId }),
      ).rejects.toMatchObject({ data: { code: "INVALID" } });
    },
  );

  it("leaves out a user deleted since their last heartbeat", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.member.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_1 });
    await a.as.viewer.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_2 });
    await t.run((ctx) => ctx.db.patch("users", a.users.member, { deletedAt: Date.now() }));
    expect(await a.as.admin.query(api.presence.list, { projectId: a.projectId })).toEqual({
      viewers: [{ _id: a.users.viewer, name: "A viewer", deleted: false }],
      total: 1,
      more: false,
    });
  });
});

describe("presence.disconnect", () => {
  it("takes the member off the board at once", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.member.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_1 });
    expect(await names(a.as.admin, a.projectId)).toEqual(["A member"]);
    expect(await a.as.member.mutation(api.presence.disconnect, { projectId: a.projectId, sessionId: TAB_1 })).toBe(
      null,
    );
    expect(await names(a.as.admin, a.projectId)).toEqual([]);
  });

  it("keeps a member who still has the board open in another tab", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.member.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_1 });
    await a.as.member.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_2 });
    await a.as.member.mutation(api.presence.disconnect, { projectId: a.projectId, sessionId: TAB_1 });
    expect(await names(a.as.admin, a.projectId)).toEqual(["A member"]);
    await a.as.member.mutation(api.presence.disconnect, { projectId: a.projectId, sessionId: TAB_2 });
    expect(await names(a.as.admin, a.projectId)).toEqual([]);
  });

  it("cannot end another member's session, even with its session id", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.member.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: TAB_1 });
    await a.as.admin.mutation(api.presence.disconnect, { projectId: a.projectId, sessionId: TAB_1 });
    expect(await names(a.as.viewer, a.projectId)).toEqual(["A member"]);
  });

  it("of a session already gone answers normally and leaves nobody on the board", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    await a.as.member.mutation(api.presence.disconnect, { projectId: a.projectId, sessionId: TAB_1 });
    await a.as.member.mutation(api.presence.disconnect, { projectId: a.projectId, sessionId: TAB_1 });
    expect(await names(a.as.admin, a.projectId)).toEqual([]);
  });
});

describe("presence timeout", () => {
  it("drops a session 2.5 intervals after its last heartbeat, and keeps one that goes on beating", async () => {
    vi.useFakeTimers();
    const t = newBackend();
    const a = await seedOrg(t, "A");
    const start = Date.now();
    /** Moves the clock to `ms` after the first heartbeat, running the component's worker on the way. */
    const at = async (ms: number) => {
      await vi.advanceTimersByTimeAsync(start + ms - Date.now());
      await t.finishInProgressScheduledFunctions();
    };
    const beat = (caller: Caller, sessionId: string) =>
      caller.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId });

    // The member's tab goes away after one heartbeat without a word; the viewer's keeps beating.
    await beat(a.as.member, TAB_1);
    await beat(a.as.viewer, TAB_2);
    await at(HEARTBEAT_INTERVAL_MS);
    await beat(a.as.viewer, TAB_2);
    await at(2 * HEARTBEAT_INTERVAL_MS);
    await beat(a.as.viewer, TAB_2);
    await at(TIMEOUT_MS - 500);
    expect(await names(a.as.admin, a.projectId)).toEqual(["A member", "A viewer"]);

    // The component's worker sleeps until the earliest deadline and disconnects it then.
    await at(TIMEOUT_MS + 1_500);
    expect(await names(a.as.admin, a.projectId)).toEqual(["A viewer"]);
    await at(3 * HEARTBEAT_INTERVAL_MS);
    await beat(a.as.viewer, TAB_2);
    await at(4 * HEARTBEAT_INTERVAL_MS);
    await beat(a.as.viewer, TAB_2);
    expect(await names(a.as.admin, a.projectId)).toEqual(["A viewer"]);

    // A heartbeat later brings the member back.
    await beat(a.as.member, TAB_1);
    expect(await names(a.as.admin, a.projectId)).toEqual(["A member", "A viewer"]);
  });
});

describe("presence.list bounds", () => {
  it("reads a fixed number of documents however many members are on the board", async () => {
    // The budget of convex/bounded.test.ts: a page and its joins, and the caller's own rows.
    const t = newBackend({ documentsRead: 2 * 100 + 20 });
    const a = await seedOrg(t, "A");
    const crowd = VIEWERS_COUNTED + 10;
    for (let i = 0; i < crowd; i++) {
      const caller = t.withIdentity(
        claimsFor(`user_crowd_${i}`, { clerkId: a.orgClerkId, role: "org:member" }, "v2", { name: `Crowd ${i}` }),
      );
      await caller.mutation(api.presence.heartbeat, { projectId: a.projectId, sessionId: `tab-crowd-${i}-padding` });
    }
    const answer = await a.as.admin.query(api.presence.list, { projectId: a.projectId });
    expect(answer.viewers.map((person) => person.name)).toEqual(
      Array.from({ length: VIEWERS_LISTED }, (_, i) => `Crowd ${i}`),
    );
    expect(answer).toMatchObject({ total: VIEWERS_COUNTED, more: true });
  });
});
