/**
 * Clerk webhook sync as the user table grows: events applied per second through the whole HTTP
 * path (svix verification, parsing, the internal mutation), and documents read per event by kind.
 * Runs on convex-test, whose indexes are scans: its events/second fall with table size where
 * Convex's would not; the documents-read counts are the figure that carries over.
 */
import { parseClerkDelivery } from "../convex/model/clerk/events";
import {
  delivery,
  deletedEvent,
  membershipEvent,
  orgEvent,
  post,
  TEST_WEBHOOK_SECRET,
  userEvent,
} from "../tests/convex/webhooks";
import type { Backend } from "../tests/convex/setup";
import { measureMutation, newBenchBackend } from "./modules";

const ORGS = 100;

async function seedUsers(t: Backend, users: number) {
  for (let start = 0; start < users; start += 5_000) {
    await t.run(async (ctx) => {
      for (let i = start; i < Math.min(users, start + 5_000); i++) {
        await ctx.db.insert("users", { clerkId: `user_${i}`, name: `User ${i}`, clerkUpdatedAt: 1 });
      }
    });
  }
  await t.run(async (ctx) => {
    for (let i = 0; i < ORGS; i++) {
      await ctx.db.insert("organizations", { clerkId: `org_${i}`, name: `Org ${i}`, clerkUpdatedAt: 1 });
    }
  });
}

/** A realistic mix: profile updates, sign-ups, memberships added, changed and removed, org edits. */
function eventFor(i: number, users: number, now: number): { type: string } {
  const user = `user_${(i * 7919) % users}`;
  const org = `org_${i % ORGS}`;
  const ids = { membership: `orgmem_${i % 50}_${org}`, org, user };
  switch (i % 6) {
    case 0:
      return userEvent("user.updated", user, now + i, { first: `Renamed${i}` });
    case 1:
      return userEvent("user.created", `user_new_${i}`, now + i);
    case 2:
      return membershipEvent("organizationMembership.created", ids, "org:member", now + i);
    case 3:
      return membershipEvent("organizationMembership.updated", ids, "org:admin", now + i);
    case 4:
      return orgEvent("organization.updated", org, now + i, { name: `Org ${i}` });
    default:
      return i % 12 === 5
        ? membershipEvent("organizationMembership.deleted", ids, "org:admin", now + i)
        : deletedEvent("user.deleted", `user_new_${i - 4}`, now + i);
  }
}

async function measure(users: number, events: number) {
  const t = await newBenchBackend();
  await seedUsers(t, users);
  const now = Date.now();
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    const response = await post(t, delivery(eventFor(i, users, now)));
    if (response.status !== 200) throw new Error(`bench: delivery ${i} answered ${response.status}`);
  }
  const seconds = (performance.now() - started) / 1000;
  // Documents read per event kind, through the same internal mutation, on fresh ids.
  const reads = new Map<string, number[]>();
  for (let i = 0; i < 60; i++) {
    const event = eventFor(events + i, users, now + 10_000);
    const parsed = parseClerkDelivery(event, now);
    if (!parsed.ok) throw new Error(parsed.message);
    const metrics = await t.mutation(measureMutation, {
      name: "clerkWebhook:apply",
      args: { svixId: `msg_bench_${i}`, type: parsed.type, event: parsed.event, receivedAt: now },
    });
    reads.set(parsed.type, [...(reads.get(parsed.type) ?? []), metrics.documentsRead]);
  }
  return { events, eventsPerSecond: events / seconds, reads };
}

export async function benchWebhooks(): Promise<void> {
  process.env.CLERK_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET;
  // Fewer deliveries at 100k: each of convex-test's index scans then walks 100k rows.
  const small = await measure(1_000, 300);
  const large = await measure(100_000, 100);
  console.log("\nClerk webhooks: signed deliveries through POST /webhooks/clerk");
  console.table(
    [small, large].map((run, i) => ({
      "stored users": i === 0 ? 1_000 : 100_000,
      deliveries: run.events,
      "events/s (convex-test)": run.eventsPerSecond.toFixed(0),
    })),
  );
  console.log(
    "(convex-test answers an index lookup by scanning the table, so its rate falls with size; Convex's does not.)",
  );
  const rows = [...small.reads.keys()].sort().map((type) => {
    const max = (values: number[] | undefined) => Math.max(...(values ?? [0]));
    return {
      event: type,
      "max docs read @1k users": max(small.reads.get(type)),
      "max docs read @100k users": max(large.reads.get(type)),
    };
  });
  console.log("Documents read per event (the figure Convex would see; goal: the same at both sizes)");
  console.table(rows);
}
