// @vitest-environment node
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startIdentityProvider, type IdentityProviderOptions } from "../src/index";
import { call, startReceiver, tempDataDir, verifyDelivery, waitFor } from "../src/testing";
import { CONFIG } from "./fixture";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function dataDir(): string {
  const data = tempDataDir();
  cleanups.push(data.remove);
  return data.dir;
}

async function run(dir: string, options: IdentityProviderOptions = {}) {
  const idp = await startIdentityProvider({ ...CONFIG, port: 0, dataDir: dir, quiet: true, ...options });
  cleanups.push(idp.close);
  return idp;
}

const kid = async (url: string) => (await call(url, "GET", "/.well-known/jwks.json")).json.keys[0].kid as string;

describe("persistence", () => {
  it("keeps the signing key, the webhook secret, the directory and sessions across restarts", async () => {
    const dir = dataDir();
    const first = await run(dir);
    const user = first.directory.createUser({ email_address: "kept@example.com", first_name: "Kept" });
    const session = first.sessions.create({ user_id: user.id });
    const before = { kid: await kid(first.url), secret: first.webhookSecret, users: first.directory.listUsers() };
    expect(before.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(before.secret.slice(6), "base64")).toHaveLength(24);
    await first.close();

    const second = await run(dir);
    expect(await kid(second.url)).toBe(before.kid);
    expect(second.webhookSecret).toBe(before.secret);
    expect(second.directory.listUsers()).toEqual(before.users);
    expect(second.directory.listOrganizations().map((o) => o.slug)).toEqual(["acme", "globex"]);
    expect((await call(second, "POST", `/sessions/${session.id}/token`)).status).toBe(200);
  });

  it("keeps its API key across restarts, and makes a new one on reset", async () => {
    const dir = dataDir();
    const first = await run(dir);
    const key = first.apiKey;
    await first.close();
    const second = await run(dir);
    expect(second.apiKey).toBe(key);
    await second.close();
    const reset = await run(dir, { reset: true });
    expect(reset.apiKey).not.toBe(key);
    expect((await call({ url: reset.url, apiKey: key }, "GET", "/directory/users")).status).toBe(401);
    expect((await call(reset, "GET", "/directory/users")).status).toBe(200);
  });

  it("delivers what was still queued when it stopped, keeping each svix-id", async () => {
    const dir = dataDir();
    const down = await startReceiver(() => 500);
    cleanups.push(down.close);
    const first = await run(dir, { webhook: { url: down.url }, retry: { delaysMs: [60_000] } });
    await waitFor(() => first.webhooks.status().pending[0]?.attempts === 1, "the first attempt to fail");
    first.directory.createUser({ email_address: "queued@example.com" });
    const queued = first.webhooks.status().pending;
    expect(queued).toHaveLength(14);
    expect(queued[0]).toMatchObject({ attempts: 1, last_error: "HTTP 500: receiver says no" });
    await first.close();

    const up = await startReceiver();
    cleanups.push(up.close);
    const second = await run(dir, { webhook: { url: up.url } });
    await second.webhooks.idle();
    expect(up.deliveries.map((d) => d.svixId)).toEqual(queued.map((d) => d.id));
    expect(up.deliveries[0]!.svixId).toBe(down.deliveries[0]!.svixId);
    expect(up.deliveries[0]!.body).toBe(down.deliveries[0]!.body);
    expect(up.deliveries.at(-1)!.event.data.email_addresses[0].email_address).toBe("queued@example.com");
    for (const delivery of up.deliveries) verifyDelivery(delivery, second.webhookSecret);
    expect(second.webhooks.status().delivered[0]!.attempts).toBe(2);
  });

  it("does not seed the directory again on a later start", async () => {
    const dir = dataDir();
    const first = await run(dir);
    const acme = first.directory.listOrganizations().find((o) => o.slug === "acme")!;
    first.directory.deleteOrganization(acme.id);
    await first.close();
    const second = await run(dir);
    expect(second.directory.listOrganizations().map((o) => o.slug)).toEqual(["globex"]);
  });

  it("starts over with reset: new key, new secret, the seeded directory only", async () => {
    const dir = dataDir();
    const first = await run(dir);
    first.directory.createUser({ email_address: "gone@example.com" });
    const before = { kid: await kid(first.url), secret: first.webhookSecret };
    await first.close();

    const second = await run(dir, { reset: true });
    expect(await kid(second.url)).not.toBe(before.kid);
    expect(second.webhookSecret).not.toBe(before.secret);
    expect(second.directory.listUsers({ email_address: "gone@example.com" })).toEqual([]);
    expect(second.directory.listUsers()).toHaveLength(5);
  });

  it("refuses a damaged state file and says how to start over", async () => {
    const dir = dataDir();
    await (await run(dir)).close();
    const file = path.join(dir, "state.json");
    writeFileSync(file, readFileSync(file, "utf8").slice(0, 100));
    await expect(run(dir)).rejects.toThrow(/state\.json is not valid JSON\. Start with --reset/);
  });

  it("signs with a secret it is given instead of the one it keeps", async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const idp = await run(dataDir(), { webhook: { url: receiver.url, secret } });
    await idp.webhooks.idle();
    expect(idp.webhookSecret).toBe(secret);
    verifyDelivery(receiver.deliveries[0]!, secret);
    await expect(run(dataDir(), { webhook: { url: receiver.url, secret: "whsec_short" } })).rejects.toThrow(
      /not a webhook secret/,
    );
  });
});
