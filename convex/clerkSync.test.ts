import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { counterRows, seedWorld } from "../tests/convex/fixtures";
import { findOrphans, referenceFields } from "../tests/convex/integrity";
import { newBackend, type Backend } from "../tests/convex/setup";
import { deletedEvent, delivery, membershipEvent, orgEvent, post, userEvent } from "../tests/convex/webhooks";
import { api, internal } from "./_generated/api";
import { CASCADE_BATCH_SIZE } from "./model/cascades";
import { parseClerkDelivery, type ClerkEvent } from "./model/clerk/events";
import { adjustOrgCounters, readOrgCounters } from "./model/counters";

const T0 = 1_750_000_000_000;
const page = { paginationOpts: { numItems: 50, cursor: null } };

/** The state the sync is responsible for, without ids or insertion times (which differ by order). */
async function syncedState(t: Backend) {
  return await t.run(async (ctx) => {
    const users = await ctx.db.query("users").collect();
    const orgs = await ctx.db.query("organizations").collect();
    const clerkIdOf = new Map<string, string>([...users, ...orgs].map((row) => [row._id, row.clerkId]));
    const strip = <T extends { _id: unknown; _creationTime: unknown }>({ _id, _creationTime, ...rest }: T) => rest;
    return {
      users: users.map(strip).sort((a, b) => a.clerkId.localeCompare(b.clerkId)),
      organizations: orgs.map(strip).sort((a, b) => a.clerkId.localeCompare(b.clerkId)),
      memberships: (await ctx.db.query("memberships").collect())
        .map(({ _id, _creationTime, orgId, userId, ...rest }) => ({
          org: clerkIdOf.get(orgId),
          user: clerkIdOf.get(userId),
          ...rest,
        }))
        .sort((a, b) => `${a.org}${a.user}`.localeCompare(`${b.org}${b.user}`)),
      // Counts as the usage page reads them; an organization with none is left out.
      orgCounters: (
        await Promise.all(orgs.map(async (org) => ({ org: org.clerkId, ...(await readOrgCounters(ctx, org._id)) })))
      ).filter(({ members, projects }) => members !== 0 || projects !== 0),
      deliveries: new Set((await ctx.db.query("webhookEvents").collect()).map((row) => row.svixId)).size,
    };
  });
}

type Step = { svixId: string; type: string; event: ClerkEvent };

function step(svixId: string, body: { type: string }): Step {
  const parsed = parseClerkDelivery(body, T0);
  if (!parsed.ok) throw new Error(parsed.message);
  return { svixId, type: parsed.type, event: parsed.event };
}

async function deliver(t: Backend, steps: Step[]) {
  for (const s of steps) {
    await t.mutation(internal.clerkWebhook.apply, { ...s, receivedAt: T0 });
  }
}

const ids = { membership: "orgmem_1", org: "org_1", user: "user_1" };

/** One user, one organization, one membership: create, updates, a role change, a removal. */
const HISTORY: Step[] = [
  step("msg_1", userEvent("user.created", "user_1", T0, { first: "Ada" })),
  step("msg_2", orgEvent("organization.created", "org_1", T0 + 1, { name: "Acme" })),
  step("msg_3", membershipEvent("organizationMembership.created", ids, "org:member", T0 + 2)),
  step("msg_4", membershipEvent("organizationMembership.updated", ids, "org:admin", T0 + 3)),
  step("msg_5", userEvent("user.updated", "user_1", T0 + 4, { first: "Augusta", email: "augusta@example.com" })),
  step("msg_6", orgEvent("organization.updated", "org_1", T0 + 5, { name: "Acme Corp", slug: "acme-corp" })),
  step("msg_7", membershipEvent("organizationMembership.deleted", ids, "org:admin", T0 + 6)),
];

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe("order-proof sync", () => {
  it("ends every permutation of a 7-event history, with random duplicates, in the in-order state", async () => {
    const inOrder = newBackend();
    await deliver(inOrder, HISTORY);
    const expected = await syncedState(inOrder);
    expect(expected.memberships).toMatchObject([{ role: "org:admin", deletedAt: T0 + 6 }]);
    expect(expected.users).toMatchObject([{ name: "Augusta Lovelace", email: "augusta@example.com" }]);

    const orders = permutations(HISTORY);
    expect(orders).toHaveLength(5040);
    // fast-check picks, per order, which deliveries are replayed and where (seeded: reproducible).
    const duplicates = fc.array(fc.tuple(fc.nat(6), fc.nat(7)), { maxLength: 3 });
    let checked = 0;
    for (const [index, order] of orders.entries()) {
      const [extra] = fc.sample(duplicates, { numRuns: 1, seed: index });
      const sequence = [...order];
      for (const [which, at] of extra ?? []) sequence.splice(at, 0, order[which]!);
      const t = newBackend();
      await deliver(t, sequence);
      const state = await syncedState(t);
      if (JSON.stringify(state) !== JSON.stringify(expected)) {
        expect({ order: sequence.map((s) => s.svixId), state }).toEqual({
          order: sequence.map((s) => s.svixId),
          state: expected,
        });
      }
      checked += 1;
    }
    expect(checked).toBe(5040);
  }, 240_000);

  it("converges on the newest role and profile when nothing is deleted (sampled orders)", async () => {
    // Without a final removal, only the updated_at checks decide the end state.
    const live: Step[] = [
      ...HISTORY.slice(0, 6),
      step("msg_11", membershipEvent("organizationMembership.updated", ids, "org:viewer", T0 + 7)),
    ];
    const inOrder = newBackend();
    await deliver(inOrder, live);
    const expected = await syncedState(inOrder);
    expect(expected.memberships).toMatchObject([{ role: "org:viewer", clerkUpdatedAt: T0 + 7 }]);
    expect(expected.orgCounters).toEqual([{ org: "org_1", members: 1, projects: 0 }]);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(live, { minLength: live.length }),
        fc.array(fc.nat(live.length - 1), { maxLength: 4 }),
        async (order, dupes) => {
          const t = newBackend();
          await deliver(t, [...order, ...dupes.map((i) => order[i]!)]);
          expect(await syncedState(t)).toEqual(expected);
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  }, 120_000);

  it("converges with deletions of the user and the organization too (sampled orders)", async () => {
    const full: Step[] = [
      ...HISTORY.slice(0, 6),
      step("msg_8", userEvent("user.updated", "user_1", T0 + 7, { first: "Ada", last: "King" })),
      step("msg_9", deletedEvent("user.deleted", "user_1", T0 + 8)),
      step("msg_10", deletedEvent("organization.deleted", "org_1", T0 + 9)),
    ];
    vi.useFakeTimers();
    try {
      const inOrder = newBackend();
      await deliver(inOrder, full);
      await inOrder.finishAllScheduledFunctions(vi.runAllTimers);
      const expected = await syncedState(inOrder);
      expect(expected.users).toMatchObject([{ clerkId: "user_1", deletedAt: T0 + 8 }]);
      expect(expected.organizations).toMatchObject([
        { clerkId: "org_1", name: "Deleted organization", deletedAt: T0 + 9 },
      ]);
      await fc.assert(
        fc.asyncProperty(
          fc.shuffledSubarray(full, { minLength: full.length }),
          fc.array(fc.nat(full.length - 1), { maxLength: 4 }),
          async (order, dupes) => {
            const sequence = [...order, ...dupes.map((i) => order[i]!)];
            const t = newBackend();
            await deliver(t, sequence);
            await t.finishAllScheduledFunctions(vi.runAllTimers);
            expect(await syncedState(t)).toEqual(expected);
            expect(await findOrphans(t)).toEqual([]);
          },
        ),
        { numRuns: 300, seed: 42 },
      );
    } finally {
      vi.useRealTimers();
    }
  }, 120_000);
});

describe("equal updated_at", () => {
  it("applies the later of two different events stamped alike (a repeat of one is caught by its svix-id)", async () => {
    const t = newBackend();
    await deliver(t, [
      step("msg_a", userEvent("user.created", "user_1", T0, { first: "Ada" })),
      step("msg_b", userEvent("user.updated", "user_1", T0, { first: "Augusta" })),
      step("msg_c", orgEvent("organization.created", "org_1", T0, { name: "Acme" })),
      step("msg_d", orgEvent("organization.updated", "org_1", T0, { name: "Acme Corp" })),
      step("msg_e", membershipEvent("organizationMembership.created", ids, "org:member", T0)),
      step("msg_f", membershipEvent("organizationMembership.updated", ids, "org:admin", T0)),
    ]);
    const state = await syncedState(t);
    expect(state.users).toMatchObject([{ clerkId: "user_1", name: "Augusta Lovelace" }]);
    expect(state.organizations).toMatchObject([{ clerkId: "org_1", name: "Acme Corp" }]);
    expect(state.memberships).toMatchObject([{ role: "org:admin" }]);
    // Delivered again under its own svix-id, the earlier event changes nothing.
    await deliver(t, [step("msg_a", userEvent("user.created", "user_1", T0, { first: "Ada" }))]);
    expect((await syncedState(t)).users).toMatchObject([{ name: "Augusta Lovelace" }]);
  });
});

describe("deletion cascades", () => {
  it("checks every table with an organization or user reference", () => {
    const tables = new Set(referenceFields().map((ref) => ref.table));
    expect([...tables].sort()).toEqual(["activity", "memberships", "orgCounters", "projects", "taskCounters", "tasks"]);
  });

  it("user.deleted ends their memberships, unassigns their tasks in batches, keeps the feed readable", async () => {
    vi.useFakeTimers();
    try {
      const t = newBackend();
      const { a, b } = await seedWorld(t);
      // The member of A is also in B, with more assigned tasks than one batch handles.
      await t.run(async (ctx) => {
        await ctx.db.insert("memberships", {
          orgId: b.orgId,
          userId: a.users.member,
          role: "org:member",
          source: "webhook",
        });
        await adjustOrgCounters(ctx, b.orgId, { members: 1 });
        for (let i = 0; i < CASCADE_BATCH_SIZE + 10; i++) {
          await ctx.db.insert("tasks", {
            orgId: b.orgId,
            projectId: b.projectId,
            title: `B ${i}`,
            status: "todo",
            position: 100 + i,
            assigneeId: a.users.member,
            createdBy: b.users.admin,
            updatedAt: 0,
          });
        }
      });
      await a.as.member.mutation(api.tasks.create, { projectId: a.projectId, title: "Written by the member" });
      const response = await post(t, delivery(deletedEvent("user.deleted", "user_A_member", Date.now())));
      expect(await response.json()).toEqual({ outcome: "applied" });
      // Denied at once, before any batch ran.
      await expect(a.as.member.query(api.projects.list, page)).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      expect(await findOrphans(t)).toEqual([]);
      expect((await a.as.admin.query(api.organizations.members, page)).page.map((m) => m.user.name).sort()).toEqual([
        "A admin",
        "A billing",
        "A viewer",
      ]);
      expect(await a.as.admin.query(api.tasks.get, { id: a.taskIds[1]! })).toMatchObject({ assignee: null });
      const feed = await a.as.admin.query(api.activity.list, page);
      expect(feed.page[0]).toMatchObject({
        actor: { name: "Deleted user", deleted: true },
        label: "Written by the member",
      });
      const user = await t.run((ctx) => ctx.db.get("users", a.users.member));
      expect(user).toMatchObject({ clerkId: "user_A_member", deletedAt: expect.any(Number) });
      expect(user).not.toHaveProperty("email");
      expect(await b.as.admin.query(api.organizations.usage, {})).toMatchObject({ members: 4 });
    } finally {
      vi.useRealTimers();
    }
  });

  it("organization.deleted hides it at once and removes its data in batches, leaving no orphans", async () => {
    vi.useFakeTimers();
    try {
      const t = newBackend();
      const { a, b } = await seedWorld(t);
      await t.run(async (ctx) => {
        for (let i = 0; i < CASCADE_BATCH_SIZE * 2; i++) {
          await ctx.db.insert("activity", {
            orgId: a.orgId,
            actorId: a.users.admin,
            action: "task.created",
            label: `x${i}`,
          });
        }
        // Counts from before the sharded counter, not migrated yet.
        await ctx.db.insert("taskCounters", { orgId: a.orgId, todo: 5, in_progress: 0, done: 0 });
        await ctx.db.insert("orgCounters", { orgId: a.orgId, members: 2, projects: 1 });
      });
      const bBefore = await b.as.admin.query(api.dashboard.counts, {});
      await post(t, delivery(deletedEvent("organization.deleted", "org_A", Date.now())));
      await expect(a.as.admin.query(api.dashboard.counts, {})).rejects.toMatchObject({
        data: { code: "FORBIDDEN", message: expect.stringContaining("deleted") },
      });
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      expect(await findOrphans(t)).toEqual([]);
      const left = await t.run(async (ctx) => {
        const count = async (
          table: "projects" | "tasks" | "activity" | "taskCounters" | "orgCounters" | "memberships",
        ) => (await ctx.db.query(table).collect()).filter((row) => row.orgId === a.orgId).length;
        return {
          projects: await count("projects"),
          tasks: await count("tasks"),
          activity: await count("activity"),
          taskCounters: await count("taskCounters"),
          orgCounters: await count("orgCounters"),
          memberships: await count("memberships"),
          org: await ctx.db.get("organizations", a.orgId),
        };
      });
      expect(left).toMatchObject({
        projects: 0,
        tasks: 0,
        activity: 0,
        taskCounters: 0,
        orgCounters: 0,
        memberships: 0,
      });
      expect(left.org).toMatchObject({ clerkId: "org_A", deletedAt: expect.any(Number), name: "Deleted organization" });
      // Its counts went too, each key (made of its ids) with all its shards.
      const aIds = [a.orgId, a.projectId, a.archivedProjectId] as string[];
      expect((await counterRows(t)).filter((row) => aIds.some((id) => String(row.name).includes(id)))).toEqual([]);
      // Organization B is untouched; A's late events change nothing.
      expect(await b.as.admin.query(api.dashboard.counts, {})).toEqual(bBefore);
      await post(t, delivery(orgEvent("organization.updated", "org_A", Date.now() + 1, { name: "Back" })));
      expect(await t.run((ctx) => ctx.db.get("organizations", a.orgId))).toMatchObject({
        name: "Deleted organization",
      });
    } finally {
      vi.useRealTimers();
    }
  });
});
