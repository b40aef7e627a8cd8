import { afterEach, describe, expect, it, vi } from "vitest";
import { claimsFor, dumpAll, seedOrg } from "../tests/convex/fixtures";
import { newBackend, type Backend } from "../tests/convex/setup";
import { delivery, membershipEvent, orgEvent, post, signDelivery, userEvent } from "../tests/convex/webhooks";
import { api, internal } from "./_generated/api";
import { WEBHOOK_EVENT_RETENTION_MS } from "./clerkWebhook";
import { MAX_BODY_BYTES } from "./model/clerk/verify";
import { WEBHOOK_EVENT_BATCH_SIZE } from "./model/deletions";
import { readOrgCounters } from "./model/counters";

const T0 = 1_750_000_000_000;
const ids = { membership: "orgmem_1", org: "org_1", user: "user_1" };

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** The member count the usage page shows for the only organization. */
async function memberCount(t: Backend): Promise<number> {
  return await t.run(async (ctx) => {
    const [org] = await ctx.db.query("organizations").collect();
    return (await readOrgCounters(ctx, org!._id)).members;
  });
}

async function expectRefused(t: Backend, response: Response, status: number) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { message: string } };
  expect(body.error.message.length).toBeGreaterThan(10);
  return body;
}

describe("the signing helper", () => {
  it("reproduces the Standard Webhooks known-answer vector", () => {
    expect(
      signDelivery(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });
});

describe("POST /webhooks/clerk refuses bad input with 4xx and writes nothing", () => {
  const good = () => delivery(userEvent("user.created", "user_bad", T0));

  async function refused(send: (t: Backend) => Promise<Response>, status: number, message?: RegExp): Promise<void> {
    const t = newBackend();
    const before = await dumpAll(t);
    const response = await send(t);
    const body = await expectRefused(t, response, status);
    if (message) expect(body.error.message).toMatch(message);
    expect(await dumpAll(t)).toEqual(before);
  }

  for (const header of ["svix-id", "svix-timestamp", "svix-signature"] as const) {
    it(`refuses a delivery without ${header}`, async () => {
      await refused((t) => post(t, good(), { [header]: null }), 400, new RegExp(`Missing ${header}`));
    });
  }

  it("refuses a body with one byte flipped", async () => {
    const d = good();
    const flipped = d.body.replace('"Ada"', '"Adb"');
    expect(flipped).not.toBe(d.body);
    await refused((t) => post(t, { ...d, body: flipped }), 400, /Signature verification failed/);
  });

  it("refuses the same JSON re-serialised", async () => {
    const d = good();
    const reserialised = JSON.stringify(JSON.parse(d.body), null, 2);
    await refused((t) => post(t, { ...d, body: reserialised }), 400, /Signature/);
  });

  it("refuses a truncated body", async () => {
    const d = good();
    await refused((t) => post(t, { ...d, body: d.body.slice(0, -10) }), 400, /Signature/);
  });

  it("refuses a valid signature sent with another svix-id", async () => {
    await refused((t) => post(t, good(), { "svix-id": "msg_someoneelse" }), 400, /Signature/);
  });

  it("refuses a valid signature sent with another timestamp", async () => {
    const d = good();
    await refused((t) => post(t, d, { "svix-timestamp": String(d.timestamp - 1) }), 400, /Signature/);
  });

  it("refuses a signature made with another secret", async () => {
    const other = delivery(userEvent("user.created", "user_bad", T0), {
      secret: "whsec_" + btoa("another secret, 24 bytes!"),
    });
    await refused((t) => post(t, other), 400, /Signature/);
  });

  it("refuses a timestamp 301 s old", async () => {
    const d = delivery(userEvent("user.created", "user_bad", T0), { timestamp: Math.floor(Date.now() / 1000) - 301 });
    await refused((t) => post(t, d), 400, /too old/);
  });

  it("refuses a timestamp 301 s ahead", async () => {
    const d = delivery(userEvent("user.created", "user_bad", T0), { timestamp: Math.floor(Date.now() / 1000) + 301 });
    await refused((t) => post(t, d), 400, /too new/);
  });

  it("refuses a timestamp in milliseconds", async () => {
    const d = delivery(userEvent("user.created", "user_bad", T0), { timestamp: Date.now() });
    await refused((t) => post(t, d), 400, /svix-timestamp/);
  });

  it("refuses a non-numeric timestamp", async () => {
    await refused((t) => post(t, good(), { "svix-timestamp": "1614265330abc" }), 400, /svix-timestamp/);
  });

  it("refuses a hex signature", async () => {
    const d = good();
    const hex = Array.from(atob(d.signature.slice(3)), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
    await refused((t) => post(t, d, { "svix-signature": `v1,${hex}` }), 400, /Signature/);
  });

  it("refuses an empty signature", async () => {
    await refused((t) => post(t, good(), { "svix-signature": "v1," }), 400, /Signature/);
  });

  it("refuses a signature list with only unknown versions", async () => {
    const d = good();
    await refused(
      (t) => post(t, d, { "svix-signature": `v2,${d.signature.slice(3)} v1a,${d.signature.slice(3)}` }),
      400,
    );
  });

  it("refuses a signed body that is not JSON", async () => {
    await refused((t) => post(t, delivery("this is not json")), 400, /not JSON/);
  });

  it("refuses an event with no data.id", async () => {
    const event = userEvent("user.created", "user_x", T0) as { data: Record<string, unknown> };
    delete event.data.id;
    await refused((t) => post(t, delivery(event)), 400, /data\.id/);
  });

  it("refuses a membership event whose organization is missing", async () => {
    const event = membershipEvent("organizationMembership.created", ids, "org:member", T0) as {
      data: Record<string, unknown>;
    };
    delete event.data.organization;
    await refused((t) => post(t, delivery(event)), 400, /data\.organization/);
  });

  it("refuses a body over 1 MiB with 413", async () => {
    const event = userEvent("user.created", "user_big", T0) as { data: Record<string, unknown> };
    event.data.padding = "x".repeat(MAX_BODY_BYTES);
    await refused((t) => post(t, delivery(event)), 413, /larger than/);
  });

  it("answers GET with 405", async () => {
    await refused((t) => t.fetch("/webhooks/clerk", { method: "GET" }), 405, /POST/);
  });
});

describe("POST /webhooks/clerk accepts what Clerk really sends", () => {
  it("accepts a signature list where one of several entries is valid", async () => {
    const t = newBackend();
    const d = delivery(userEvent("user.created", "user_ok", T0));
    const response = await post(t, d, { "svix-signature": `v1,bm90IHRoZSByaWdodCBvbmU= v2,abc ${d.signature}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ outcome: "applied" });
  });

  it.each([-299, 299])("accepts a timestamp %i s from now", async (skew) => {
    const t = newBackend();
    const d = delivery(userEvent("user.created", "user_ok", T0), { timestamp: Math.floor(Date.now() / 1000) + skew });
    expect((await post(t, d)).status).toBe(200);
  });

  it("answers an event type it does not sync with 200 and records it as ignored", async () => {
    const t = newBackend();
    const response = await post(t, delivery({ type: "session.created", data: { id: "sess_1" }, timestamp: T0 }));
    expect(await response.json()).toEqual({ outcome: "ignored" });
    const rows = await dumpAll(t);
    expect(rows.webhookEvents).toMatchObject([{ type: "session.created", outcome: "ignored" }]);
    expect(rows.users).toEqual([]);
  });
});

describe("configuration errors", () => {
  it.each([
    ["missing", ""],
    ["malformed", "not-a-whsec-secret"],
  ])(
    "answers 500, names CLERK_WEBHOOK_SECRET in the log, and writes nothing when the secret is %s",
    async (_, value) => {
      vi.stubEnv("CLERK_WEBHOOK_SECRET", value);
      const logged = vi.spyOn(console, "error").mockImplementation(() => {});
      const t = newBackend();
      const before = await dumpAll(t);
      const response = await post(t, delivery(userEvent("user.created", "user_1", T0)));
      expect(response.status).toBe(500);
      const lines = logged.mock.calls.map((call) => call.join(" ")).join("\n");
      expect(lines).toMatch(/CLERK_WEBHOOK_SECRET/);
      expect(lines).toMatch(/npx convex env set CLERK_WEBHOOK_SECRET/);
      expect(await dumpAll(t)).toEqual(before);
    },
  );
});

describe("duplicates", () => {
  it("applies the same delivery twice exactly once", async () => {
    const t = newBackend();
    const d = delivery(userEvent("user.created", "user_1", T0));
    expect(await (await post(t, d)).json()).toEqual({ outcome: "applied" });
    expect(await (await post(t, d)).json()).toEqual({ outcome: "duplicate" });
    const rows = await dumpAll(t);
    expect(rows.users).toHaveLength(1);
    expect(rows.webhookEvents).toHaveLength(1);
  });

  it("applies the same delivery sent ten times concurrently exactly once", async () => {
    const t = newBackend();
    const d = delivery(membershipEvent("organizationMembership.created", ids, "org:member", T0));
    const responses = await Promise.all(Array.from({ length: 10 }, () => post(t, d)));
    const outcomes = await Promise.all(responses.map(async (r) => ((await r.json()) as { outcome: string }).outcome));
    expect(outcomes.filter((o) => o === "applied")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(9);
    const rows = await dumpAll(t);
    expect(rows.memberships).toHaveLength(1);
    expect(await memberCount(t)).toBe(1);
    expect(rows.webhookEvents).toHaveLength(1);
  });
});

describe("sync", () => {
  it("stores sparse but legitimate users: no email, null names, no image", async () => {
    const t = newBackend();
    const d = delivery(
      userEvent("user.created", "user_sparse", T0, { first: null, last: null, email: null, imageUrl: null }),
    );
    expect((await post(t, d)).status).toBe(200);
    const [user] = (await dumpAll(t)).users as Record<string, unknown>[];
    expect(user).toMatchObject({ clerkId: "user_sparse", clerkUpdatedAt: T0 });
    expect(user).not.toHaveProperty("email");
    expect(user).not.toHaveProperty("name");
    expect(user).not.toHaveProperty("imageUrl");
  });

  it("applies an update only when newer than what is stored", async () => {
    const t = newBackend();
    await post(t, delivery(userEvent("user.updated", "user_1", T0 + 10, { first: "New" })));
    expect(await (await post(t, delivery(userEvent("user.created", "user_1", T0, { first: "Old" })))).json()).toEqual({
      outcome: "stale",
    });
    expect((await dumpAll(t)).users).toMatchObject([{ name: "New Lovelace", clerkUpdatedAt: T0 + 10 }]);
  });

  it("merges with rows provisioned from a token at first sign-in, without duplicates", async () => {
    const t = newBackend();
    const as = t.withIdentity(claimsFor("user_1", { clerkId: "org_1", slug: "acme", role: "org:admin" }));
    await as.mutation(api.users.ensure, {});
    await post(t, delivery(userEvent("user.created", "user_1", T0, { email: "ada@acme.example" })));
    await post(t, delivery(orgEvent("organization.created", "org_1", T0, { name: "Acme Inc" })));
    await post(t, delivery(membershipEvent("organizationMembership.created", ids, "org:admin", T0)));
    const rows = await dumpAll(t);
    expect(rows.users).toMatchObject([{ clerkId: "user_1", email: "ada@acme.example", name: "Ada Lovelace" }]);
    expect(rows.organizations).toMatchObject([{ clerkId: "org_1", name: "Acme Inc", slug: "acme" }]);
    expect(rows.memberships).toMatchObject([{ clerkId: "orgmem_1", role: "org:admin", source: "webhook" }]);
    expect(await memberCount(t)).toBe(1);
  });

  it("creates the user and organization a membership names when it arrives first, then lets them fill in", async () => {
    const t = newBackend();
    await post(t, delivery(membershipEvent("organizationMembership.created", ids, "org:member", T0)));
    let rows = await dumpAll(t);
    expect(rows.users).toMatchObject([{ clerkId: "user_1", name: "Ada Lovelace" }]);
    expect(rows.users[0]).not.toHaveProperty("clerkUpdatedAt");
    expect(rows.organizations).toMatchObject([{ clerkId: "org_1", name: "Acme" }]);
    await post(t, delivery(userEvent("user.created", "user_1", T0 - 5, { first: "Augusta" })));
    await post(t, delivery(orgEvent("organization.created", "org_1", T0 - 5, { name: "Acme Corp" })));
    rows = await dumpAll(t);
    expect(rows.users).toMatchObject([{ name: "Augusta Lovelace", clerkUpdatedAt: T0 - 5 }]);
    expect(rows.organizations).toMatchObject([{ name: "Acme Corp" }]);
  });

  it("denies a removed member at once, whatever their token still says", async () => {
    const t = newBackend();
    const a = await seedOrg(t, "A");
    const memberIds = { membership: "orgmem_A_member", org: "org_A", user: "user_A_member" };
    await post(t, delivery(membershipEvent("organizationMembership.deleted", memberIds, "org:member", T0 + 1)));
    await expect(a.as.member.query(api.projects.get, { id: a.projectId })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
    });
    // A late create for the same membership never brings it back.
    await post(t, delivery(membershipEvent("organizationMembership.created", memberIds, "org:member", T0)));
    await expect(a.as.member.mutation(api.users.ensure, {})).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    expect(await a.as.admin.query(api.organizations.usage, {})).toMatchObject({ members: 3 });
  });

  it("lets a member removed and added again (a new membership id) back in", async () => {
    const t = newBackend();
    await post(t, delivery(membershipEvent("organizationMembership.created", ids, "org:member", T0)));
    await post(t, delivery(membershipEvent("organizationMembership.deleted", ids, "org:member", T0 + 10)));
    const again = { ...ids, membership: "orgmem_2" };
    await post(t, delivery(membershipEvent("organizationMembership.created", again, "org:viewer", T0 + 20)));
    // The old membership's late events change nothing.
    await post(t, delivery(membershipEvent("organizationMembership.updated", ids, "org:admin", T0 + 5)));
    await post(t, delivery(membershipEvent("organizationMembership.deleted", ids, "org:member", T0 + 10)));
    const rows = await dumpAll(t);
    expect(rows.memberships).toMatchObject([{ clerkId: "orgmem_2", role: "org:viewer" }]);
    expect(rows.memberships[0]).not.toHaveProperty("deletedAt");
    expect(await memberCount(t)).toBe(1);
  });
});

describe("retention", () => {
  it("prunes deliveries older than 30 days in batches and keeps newer ones", async () => {
    vi.useFakeTimers();
    try {
      const t = newBackend();
      const now = Date.now();
      await t.run(async (ctx) => {
        for (let i = 0; i < 1_200; i++) {
          await ctx.db.insert("webhookEvents", {
            svixId: `msg_old${i}`,
            type: "user.updated",
            receivedAt: now - WEBHOOK_EVENT_RETENTION_MS - 1_000 - i,
            outcome: "applied",
          });
        }
        await ctx.db.insert("webhookEvents", {
          svixId: "msg_recent",
          type: "user.updated",
          receivedAt: now - WEBHOOK_EVENT_RETENTION_MS + 60_000,
          outcome: "applied",
        });
      });
      await t.mutation(internal.clerkWebhook.prune, {});
      // Batches on the work pool: each deletes at most WEBHOOK_EVENT_BATCH_SIZE deliveries.
      const left = [1_201];
      for (let round = 0; left.at(-1)! > 1; round++) {
        if (round === 100) throw new Error(`pruning did not finish: ${left.join(", ")}`);
        vi.runAllTimers();
        await t.finishInProgressScheduledFunctions();
        const count = (await dumpAll(t)).webhookEvents!.length;
        if (count !== left.at(-1)) left.push(count);
      }
      // 1,200 old ones in three batches at least, the last partial.
      expect(left.length).toBeGreaterThanOrEqual(4);
      for (let i = 1; i < left.length; i++) {
        expect(left[i - 1]! - left[i]!).toBeLessThanOrEqual(WEBHOOK_EVENT_BATCH_SIZE);
      }
      const rows = await dumpAll(t);
      expect(rows.webhookEvents).toMatchObject([{ svixId: "msg_recent" }]);
      // Run by the pool: the app scheduled nothing itself.
      expect(await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect())).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is scheduled daily", async () => {
    const crons = (await import("./crons")).default;
    expect(Object.values(crons.crons)).toMatchObject([{ name: "clerkWebhook:prune", schedule: { type: "daily" } }]);
  });
});
