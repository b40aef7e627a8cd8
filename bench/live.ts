/**
 * Live-update latency on the offline stack: a mutation sent by one client until the new result is
 * seen by each subscribed client, with 1, 10 and 50 subscribers, and mutations per second.
 *
 * The stack runs in its own process (as under `npm run dev`); the clients here are the `convex`
 * package's ConvexClient over WebSockets, signed in as the demo organization's members with tokens
 * from the local identity provider, subscribed to a project's task column and the dashboard counts.
 */
import { performance } from "node:perf_hooks";
import { ConvexClient } from "convex/browser";
import WebSocket from "ws";
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { organizationId, percentile, signIn, startStack, type BenchIdp } from "./stack";

const SUBSCRIBER_COUNTS = [1, 10, 50];
const ROUNDS = 100;
const WARMUP = 20;
const THROUGHPUT_MUTATIONS = 300;
// Subscribers take these in turn: an admin, a member, a viewer and a billing user.
const MEMBERS = [
  "alice.johnson@example.com",
  "ben.carter@example.com",
  "chloe.nguyen@example.com",
  "diego.ramirez@example.com",
];

/** A ConvexClient signed in as `email` in the organization `orgId`, refreshing its token from the provider. */
async function signedInClient(convexUrl: string, idp: BenchIdp, email: string, orgId: string) {
  const token = await signIn(idp, email, orgId);
  const client = new ConvexClient(convexUrl, { webSocketConstructor: WebSocket as never, logger: false });
  client.setAuth(token);
  return client;
}

type Column = { page: { _id: string; title: string }[] };

export async function benchLive(): Promise<void> {
  const stack = await startStack("bench-live-");
  const clients: ConvexClient[] = [];
  try {
    // One member writes hundreds of times a second here: a limit far above that keeps every write
    // spending its allowance (the rate limiter's cost is in the figures) without any being refused.
    await stack.setEnv({ RATE_LIMIT_WRITES_PER_USER: "1000000/minute" });
    const acme = await organizationId(stack.idp, "acme");
    const writer = await signedInClient(stack.convexUrl, stack.idp, MEMBERS[1]!, acme);
    clients.push(writer);
    const projects = await writer.query(api.projects.list, { paginationOpts: { numItems: 10, cursor: null } });
    const projectId = projects.page[0]!._id as Id<"projects">;
    const columnArgs = { projectId, status: "todo" as const, paginationOpts: { numItems: 100, cursor: null } };

    console.log(
      `live update: tasks.create / tasks.remove by one member → the todo column seen by each subscriber ` +
        `(${ROUNDS} mutations per row, ${WARMUP} warm-up; subscribers also watch dashboard.counts)`,
    );
    console.log(
      "subscribers  samples  p50 ms  p95 ms  max ms  (each mutation's latency, measured at every subscriber)",
    );
    const subscribers: { latest: Column | undefined; waiters: (() => void)[] }[] = [];
    for (const count of SUBSCRIBER_COUNTS) {
      while (subscribers.length < count) {
        const client = await signedInClient(
          stack.convexUrl,
          stack.idp,
          MEMBERS[subscribers.length % MEMBERS.length]!,
          acme,
        );
        clients.push(client);
        const state: (typeof subscribers)[number] = { latest: undefined, waiters: [] };
        client.onUpdate(api.tasks.listByStatus, columnArgs, (value) => {
          state.latest = value;
          for (const wake of state.waiters.splice(0)) wake();
        });
        client.onUpdate(api.dashboard.counts, {}, () => {});
        subscribers.push(state);
      }
      // Everyone has a first result before timing starts.
      await Promise.all(subscribers.map((s) => until(s, () => s.latest !== undefined)));

      const samples: number[] = [];
      for (let round = 0; round < ROUNDS + WARMUP; round += 1) {
        const title = `bench ${count}-${round}`;
        const start = performance.now();
        const created = writer.mutation(api.tasks.create, { projectId, title });
        const seen = await Promise.all(
          subscribers.map((s) =>
            until(s, () => s.latest!.page.some((task) => task.title === title)).then(() => performance.now() - start),
          ),
        );
        const id = await created;
        if (round >= WARMUP) samples.push(...seen);
        await writer.mutation(api.tasks.remove, { id });
        await Promise.all(subscribers.map((s) => until(s, () => !s.latest!.page.some((task) => task._id === id))));
      }
      samples.sort((a, b) => a - b);
      console.log(
        [
          String(count).padStart(11),
          String(samples.length).padStart(8),
          percentile(samples, 50).toFixed(1).padStart(7),
          percentile(samples, 95).toFixed(1).padStart(7),
          samples[samples.length - 1]!.toFixed(1).padStart(7),
        ].join(" "),
      );
    }

    // Throughput with every subscriber still watching: one client awaiting each mutation, then ten at once.
    const renameTitles = async (writers: ConvexClient[], total: number) => {
      const id = await writer.mutation(api.tasks.create, { projectId, title: "throughput" });
      const start = performance.now();
      let next = 0;
      await Promise.all(
        writers.map(async (client) => {
          while (next < total) {
            next += 1;
            await client.mutation(api.tasks.update, { id, title: `throughput ${next}` });
          }
        }),
      );
      const seconds = (performance.now() - start) / 1000;
      await writer.mutation(api.tasks.remove, { id });
      return total / seconds;
    };
    const one = await renameTitles([writer], THROUGHPUT_MUTATIONS);
    // Subscribers signed in as Alice (admin) or Ben (member) may write; Chloe and Diego may not.
    const mayWrite = clients.slice(1).filter((_, i) => i % MEMBERS.length < 2);
    const tenWriters = [writer, ...mayWrite.slice(0, 9)];
    const ten = await renameTitles(tenWriters, THROUGHPUT_MUTATIONS);
    console.log(
      `mutations/s (tasks.update, 50 subscribers watching): ${one.toFixed(0)} from one client awaiting each, ` +
        `${ten.toFixed(0)} from ${tenWriters.length} clients at once`,
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await stack.stop();
  }
}

function until(state: { waiters: (() => void)[] }, check: () => boolean): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error("no update within 10 s")), 10_000);
    const wait = () => {
      if (check()) {
        clearTimeout(timeout);
        resolve();
      } else {
        state.waiters.push(wait);
      }
    };
    state.waiters.push(wait);
  });
}
