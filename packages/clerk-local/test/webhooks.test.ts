// @vitest-environment node
import { afterEach, describe, expect, it } from "vitest";
import { startIdentityProvider, type IdentityProvider, type IdentityProviderOptions } from "../src/index";
import { call, startReceiver, tempDataDir, verifyDelivery, waitFor, type Delivery } from "../src/testing";
import { CONFIG, SEED } from "./fixture";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(
  respond?: Parameters<typeof startReceiver>[0],
  options: IdentityProviderOptions = {},
): Promise<{ idp: IdentityProvider; receiver: Awaited<ReturnType<typeof startReceiver>> }> {
  const data = tempDataDir();
  cleanups.push(data.remove);
  const receiver = await startReceiver(respond);
  cleanups.push(receiver.close);
  const idp = await startIdentityProvider({
    ...CONFIG,
    port: 0,
    dataDir: data.dir,
    quiet: true,
    webhook: { url: receiver.url },
    ...options,
  });
  cleanups.push(idp.close);
  return { idp, receiver };
}

/** Checks what every delivery must be: signed as svix signs, in Clerk's event envelope. */
function expectClerkDelivery(delivery: Delivery, secret: string): void {
  expect(() => verifyDelivery(delivery, secret)).not.toThrow();
  expect(delivery.svixId).toMatch(/^msg_[A-Za-z0-9]{27}$/);
  expect(Number(delivery.svixTimestamp)).toBeCloseTo(Date.now() / 1000, -1);
  expect(Object.keys(delivery.event).sort()).toEqual([
    "data",
    "event_attributes",
    "instance_id",
    "object",
    "timestamp",
    "type",
  ]);
  expect(delivery.event).toMatchObject({
    object: "event",
    instance_id: expect.stringMatching(/^ins_/),
    timestamp: expect.any(Number),
    event_attributes: { http_request: { client_ip: expect.any(String), user_agent: expect.any(String) } },
  });
}

describe("webhook sender", () => {
  it("delivers the seeded directory as signed Clerk events, in order, on first start", async () => {
    const { idp, receiver } = await start();
    await idp.webhooks.idle();
    const types = receiver.accepted().map((d) => d.event.type);
    expect(types).toEqual([
      ...SEED.users.map(() => "user.created"),
      "organization.created",
      ...Array(4).fill("organizationMembership.created"),
      "organization.created",
      ...Array(2).fill("organizationMembership.created"),
    ]);
    for (const delivery of receiver.deliveries) expectClerkDelivery(delivery, idp.webhookSecret);
    const roles = receiver
      .accepted()
      .filter((d) => d.event.type === "organizationMembership.created")
      .map((d) => `${d.event.data.public_user_data.identifier} ${d.event.data.organization.slug} ${d.event.data.role}`);
    expect(roles).toEqual([
      "alice.johnson@example.com acme org:admin",
      "ben.carter@example.com acme org:member",
      "chloe.nguyen@example.com acme org:viewer",
      "diego.ramirez@example.com acme org:billing",
      "erin.walsh@example.com globex org:admin",
      "ben.carter@example.com globex org:member",
    ]);
  });

  it("with holdWebhooks, queues the directory's events and sends them, in order, only after start()", async () => {
    const { idp, receiver } = await start(undefined, { holdWebhooks: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.deliveries).toEqual([]);
    expect(idp.webhooks.status().pending).toHaveLength(SEED.users.length + 2 + 6);
    idp.webhooks.start();
    idp.webhooks.start(); // a second call changes nothing
    await idp.webhooks.idle();
    expect(receiver.deliveries.every((delivery) => receiver.accepted().includes(delivery))).toBe(true);
    expect(receiver.accepted().map((d) => d.event.type)[0]).toBe("user.created");
    expect(receiver.accepted()).toHaveLength(SEED.users.length + 2 + 6);
  });

  it("sends the Clerk event, with Clerk's payload, for each directory operation", async () => {
    const { idp, receiver } = await start();
    await idp.webhooks.idle();
    const seen = receiver.deliveries.length;
    const next = async (type: string) => {
      await idp.webhooks.idle();
      const delivery = receiver.deliveries.shift()!;
      expect(delivery?.event.type).toBe(type);
      expectClerkDelivery(delivery, idp.webhookSecret);
      return delivery.event;
    };
    receiver.deliveries.splice(0, seen);
    const http = (method: string, path: string, body?: unknown) =>
      call(idp, method, path, body, { "user-agent": "webhooks-test" });

    const signUp = await http("POST", "/directory/users", {
      email_address: "Grace.Hopper@Example.com",
      first_name: "Grace",
      last_name: "Hopper",
    });
    expect(signUp.status).toBe(201);
    const user = signUp.json;
    const created = await next("user.created");
    expect(created.event_attributes.http_request).toEqual({ client_ip: "127.0.0.1", user_agent: "webhooks-test" });
    expect(created.data).toMatchObject({
      object: "user",
      id: user.id,
      first_name: "Grace",
      last_name: "Hopper",
      primary_email_address_id: expect.stringMatching(/^idn_/),
      email_addresses: [{ object: "email_address", email_address: "grace.hopper@example.com" }],
      image_url: expect.stringMatching(/^data:image\/svg\+xml;base64,/),
      created_at: user.created_at,
      updated_at: user.created_at,
    });
    expect(created.data.email_addresses[0].id).toBe(created.data.primary_email_address_id);
    expect(created.timestamp).toBe(user.created_at);

    await http("PATCH", `/directory/users/${user.id}`, { last_name: "Hopper-Murray" });
    const updated = await next("user.updated");
    expect(updated.data).toMatchObject({ id: user.id, last_name: "Hopper-Murray" });
    expect(updated.data.updated_at).toBeGreaterThan(created.data.updated_at);

    const org = (await http("POST", "/directory/organizations", { name: "Initech Labs", created_by: user.id })).json;
    expect(org.slug).toBe("initech-labs");
    const orgCreated = await next("organization.created");
    expect(orgCreated.data).toMatchObject({
      object: "organization",
      id: org.id,
      name: "Initech Labs",
      slug: "initech-labs",
      created_by: user.id,
    });
    const creatorJoined = await next("organizationMembership.created");
    expect(creatorJoined.data).toMatchObject({
      object: "organization_membership",
      id: expect.stringMatching(/^orgmem_/),
      role: "org:admin",
      permissions: ["org:projects:manage", "org:tasks:write", "org:usage:read"],
      organization: { id: org.id, name: "Initech Labs", slug: "initech-labs" },
      public_user_data: {
        user_id: user.id,
        identifier: "grace.hopper@example.com",
        first_name: "Grace",
        last_name: "Hopper-Murray",
      },
    });

    const erin = idp.directory.listUsers({ email_address: "erin.walsh@example.com" })[0]!;
    const added = await http("POST", `/directory/organizations/${org.id}/memberships`, {
      user_id: erin.id,
      role: "viewer",
    });
    expect(added.json.role).toBe("org:viewer");
    const joined = await next("organizationMembership.created");
    expect(joined.data).toMatchObject({ id: added.json.id, role: "org:viewer", permissions: [] });

    await http("PATCH", `/directory/organizations/${org.id}/memberships/${erin.id}`, { role: "org:billing" });
    const promoted = await next("organizationMembership.updated");
    expect(promoted.data).toMatchObject({ id: added.json.id, role: "org:billing", permissions: ["org:usage:read"] });
    expect(promoted.data.updated_at).toBeGreaterThan(joined.data.updated_at);

    await http("DELETE", `/directory/organizations/${org.id}/memberships/${erin.id}`);
    const left = await next("organizationMembership.deleted");
    expect(left.data).toMatchObject({
      id: added.json.id,
      role: "org:billing",
      organization: { id: org.id },
      public_user_data: { user_id: erin.id },
    });
    expect(left.timestamp).toBeGreaterThan(promoted.timestamp);

    await http("PATCH", `/directory/organizations/${org.id}`, { name: "Initech" });
    const renamed = await next("organization.updated");
    expect(renamed.data).toMatchObject({ id: org.id, name: "Initech", slug: "initech-labs" });

    await http("DELETE", `/directory/organizations/${org.id}`);
    expect((await next("organization.deleted")).data).toEqual({ object: "organization", id: org.id, deleted: true });

    await http("DELETE", `/directory/users/${user.id}`);
    expect((await next("user.deleted")).data).toEqual({ object: "user", id: user.id, deleted: true });
    expect(receiver.deliveries).toHaveLength(0);
  });

  it("retries a failed delivery with the same svix-id and a freshly signed timestamp", async () => {
    const { idp, receiver } = await start((_delivery, n) => (n === 0 ? 500 : 200), {
      retry: { delaysMs: [1_100], maxAttempts: 3 },
    });
    await idp.webhooks.idle();
    const [failed, retried] = receiver.deliveries;
    expect(failed!.status).toBe(500);
    expect(retried!.status).toBe(200);
    expect(retried!.svixId).toBe(failed!.svixId);
    expect(retried!.body).toBe(failed!.body);
    expect(Number(retried!.svixTimestamp)).toBeGreaterThan(Number(failed!.svixTimestamp));
    expect(retried!.svixSignature).not.toBe(failed!.svixSignature);
    expectClerkDelivery(retried!, idp.webhookSecret);
    expect(idp.webhooks.status().delivered[0]).toMatchObject({ id: failed!.svixId, attempts: 2, status: 200 });
    // Nothing overtook the retried event.
    expect(receiver.accepted().map((d) => d.event.type)[0]).toBe("user.created");
    expect(receiver.accepted()).toHaveLength(13);
  });

  it("gives up on a delivery after its last attempt and goes on with the next", async () => {
    let doomed: string | undefined;
    const { idp, receiver } = await start(
      (delivery) => {
        doomed ??= delivery.svixId;
        return delivery.svixId === doomed ? 503 : 204;
      },
      { retry: { delaysMs: [20, 40], maxAttempts: 3 } },
    );
    await idp.webhooks.idle();
    expect(receiver.deliveries.filter((d) => d.svixId === doomed)).toHaveLength(3);
    expect(receiver.accepted()).toHaveLength(12);
    const { failed, pending } = idp.webhooks.status();
    expect(pending).toEqual([]);
    expect(failed).toEqual([
      expect.objectContaining({
        id: doomed,
        type: "user.created",
        attempts: 3,
        last_error: "HTTP 503: receiver says no",
      }),
    ]);
  });

  it("queues the whole directory again on resync, and reports deliveries over HTTP", async () => {
    const { idp, receiver } = await start();
    await idp.webhooks.idle();
    receiver.deliveries.splice(0);
    const resync = await call(idp, "POST", "/webhooks/resync");
    expect(resync.json).toEqual({ queued: 13 });
    await idp.webhooks.idle();
    expect(new Set(receiver.accepted().map((d) => d.event.type))).toEqual(
      new Set(["user.created", "organization.created", "organizationMembership.created"]),
    );
    expect(receiver.accepted()).toHaveLength(13);
    const status = await call(idp, "GET", "/webhooks");
    expect(status.json).toMatchObject({ url: receiver.url, pending: [], failed: [] });
    expect(status.json.delivered).toHaveLength(26);
    expect(status.json.delivered[0]).not.toHaveProperty("body");
  });

  it("keeps retrying while the endpoint is unreachable, and records why", async () => {
    const data = tempDataDir();
    cleanups.push(data.remove);
    const receiver = await startReceiver();
    const url = receiver.url;
    await receiver.close();
    const idp = await startIdentityProvider({
      ...CONFIG,
      port: 0,
      dataDir: data.dir,
      quiet: true,
      webhook: { url },
      retry: { delaysMs: [20], maxAttempts: 1_000 },
    });
    cleanups.push(idp.close);
    await waitFor(() => (idp.webhooks.status().pending[0]?.attempts ?? 0) >= 2, "two failed attempts");
    expect(idp.webhooks.status().pending[0]!.last_error).toBe("ECONNREFUSED");
    expect(idp.webhooks.status().pending).toHaveLength(13);
  });
});
