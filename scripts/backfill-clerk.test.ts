// @vitest-environment node
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClerkClient } from "@clerk/nextjs/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { internal } from "../convex/_generated/api";
import { newBackend, type Backend } from "../tests/convex/setup";
import { membershipEvent, orgEvent, userEvent } from "../tests/convex/webhooks";
import { backfillFromClerk, type ApplyBatch, type ClerkLists } from "./backfill-clerk";

const T0 = 1_750_000_000_000;
const users = Array.from(
  { length: 150 },
  (_, i) => userEvent("user.updated", `user_${i}`, T0, { first: `User ${i}` }).data,
);
const orgs = [
  orgEvent("organization.updated", "org_a", T0, { name: "Acme" }).data,
  orgEvent("organization.updated", "org_b", T0, { name: "Globex" }).data,
];
const memberships: Record<string, unknown[]> = {
  org_a: users
    .slice(0, 120)
    .map(
      (u, i) =>
        membershipEvent(
          "organizationMembership.updated",
          { membership: `orgmem_a${i}`, org: "org_a", user: u.id },
          i === 0 ? "org:admin" : "org:member",
          T0,
        ).data,
    ),
  org_b: [
    membershipEvent(
      "organizationMembership.updated",
      { membership: "orgmem_b0", org: "org_b", user: "user_149" },
      "org:admin",
      T0,
    ).data,
  ],
};

/** Clerk's Backend API, as far as the list endpoints go, answering in Clerk's own JSON. */
function fakeClerkApi(): Server {
  return createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    const limit = Number(url.searchParams.get("limit") ?? 10);
    const offset = Number(url.searchParams.get("offset") ?? 0);
    const reply = (body: unknown) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== "Bearer sk_test_backfill") {
      response.writeHead(401).end();
      return;
    }
    let match: RegExpExecArray | null;
    if (url.pathname === "/v1/users/count") return reply({ object: "total_count", total_count: users.length });
    if (url.pathname === "/v1/users") return reply(users.slice(offset, offset + limit));
    if (url.pathname === "/v1/organizations")
      return reply({ data: orgs.slice(offset, offset + limit), total_count: orgs.length });
    if ((match = /^\/v1\/organizations\/([^/]+)\/memberships$/.exec(url.pathname))) {
      const all = memberships[match[1]!] ?? [];
      return reply({ data: all.slice(offset, offset + limit), total_count: all.length });
    }
    response.writeHead(404).end();
  });
}

describe("backfill from Clerk's Backend API", () => {
  let server: Server;
  let clerk: ClerkLists;
  beforeAll(async () => {
    server = fakeClerkApi();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    clerk = createClerkClient({
      secretKey: "sk_test_backfill",
      apiUrl: `http://127.0.0.1:${port}`,
    }) as unknown as ClerkLists;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const applyTo =
    (t: Backend): ApplyBatch =>
    async (records) => {
      expect(records.length).toBeLessThanOrEqual(100);
      return await t.mutation(internal.clerkWebhook.backfill, { records });
    };

  it("copies every user, organization and membership, through Clerk's own client and its paging", async () => {
    const t = newBackend();
    const report = await backfillFromClerk(clerk, applyTo(t));
    expect(report.user).toMatchObject({ applied: 150, invalid: [] });
    expect(report.organization).toMatchObject({ applied: 2, invalid: [] });
    expect(report.organizationMembership).toMatchObject({ applied: 121, invalid: [] });
    const state = await t.run(async (ctx) => ({
      users: (await ctx.db.query("users").collect()).length,
      names: (await ctx.db.query("organizations").collect()).map((o) => o.name).sort(),
      admins: (await ctx.db.query("memberships").collect()).filter(
        (m) => m.role === "org:admin" && m.source === "webhook",
      ).length,
    }));
    expect(state).toEqual({ users: 150, names: ["Acme", "Globex"], admins: 2 });
  });

  it("is safe to run again, and never brings back what a webhook deleted", async () => {
    const t = newBackend();
    await backfillFromClerk(clerk, applyTo(t));
    await t.mutation(internal.clerkWebhook.apply, {
      svixId: "msg_del",
      type: "user.deleted",
      event: { kind: "user.delete", clerkId: "user_3", at: T0 + 1 },
      receivedAt: T0 + 1,
    });
    // Let the deletion's cascade (scheduled batches) finish before comparing.
    vi.useFakeTimers();
    try {
      await t.finishAllScheduledFunctions(vi.runAllTimers);
    } finally {
      vi.useRealTimers();
    }
    const rows = () =>
      t.run(async (ctx) => ({
        users: (await ctx.db.query("users").collect()).map(({ _creationTime, ...row }) => row),
        memberships: (await ctx.db.query("memberships").collect()).map(({ _creationTime, ...row }) => row),
      }));
    const before = await rows();
    const again = await backfillFromClerk(clerk, applyTo(t));
    // Records as new as what is stored apply again (to the same values); the deleted user's is refused.
    expect(again.user).toMatchObject({ applied: 149, stale: 1 });
    expect(await rows()).toEqual(before);
    const user3 = before.users.find((row) => row.clerkId === "user_3");
    expect(user3?.deletedAt).toBe(T0 + 1);
  });

  it("reports a record Clerk sent that cannot be read, and applies the rest", async () => {
    const t = newBackend();
    const outcomes = await t.mutation(internal.clerkWebhook.backfill, {
      records: [
        { kind: "user", data: users[0] },
        { kind: "organization", data: { id: "org_x" } },
      ],
    });
    expect(outcomes).toEqual(["applied", { invalid: expect.stringContaining("data.name") }]);
  });
});
