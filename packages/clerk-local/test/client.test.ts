// @vitest-environment node
// The React UI's client through the /api/offline routes, against a real identity provider on a
// free port.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { createHttpOfflineIdentityClient, tokenExpiry, type OfflineIdentityClient } from "../src/react/client";
import { OFFLINE_ORG_COOKIE, OFFLINE_SESSION_COOKIE } from "../src/next";
import { APP_ORIGIN, browser, startOfflineRoutes } from "../src/testing";
import { CONFIG } from "./fixture";

let routes: Awaited<ReturnType<typeof startOfflineRoutes>>;

beforeAll(async () => {
  routes = await startOfflineRoutes(CONFIG);
});
afterAll(async () => {
  await routes?.close();
});

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
}

let page: ReturnType<typeof browser>;
let client: OfflineIdentityClient;

beforeEach(() => {
  page = browser(routes.handle);
  client = createHttpOfflineIdentityClient({ baseUrl: APP_ORIGIN, fetch: page.fetch });
});

describe("offline identity client", () => {
  it("lists the demo accounts with their organizations and roles", async () => {
    const accounts = await client.listAccounts();
    const ben = accounts.find((a) => a.email === "ben.carter@example.com");
    expect(ben).toMatchObject({ firstName: "Ben", lastName: "Carter" });
    expect(ben?.memberships).toEqual(
      expect.arrayContaining([
        { organizationName: "Acme", role: "org:member" },
        { organizationName: "Globex", role: "org:member" },
      ]),
    );
  });

  it("signs in by email, keeps the session and organization in cookies, and hands out its token", async () => {
    const session = await client.signIn({ email: "alice.johnson@example.com" });
    expect(session.activeOrgId).toMatch(/^org_/);
    expect(page.jar.get(OFFLINE_SESSION_COOKIE)).toMatch(/^sess_/);
    expect(page.jar.get(OFFLINE_ORG_COOKIE)).toBe(session.activeOrgId);

    const token = await client.getToken({ forceRefresh: false });
    expect(token).not.toBeNull();
    expect(claimsOf(token!)).toMatchObject({ sub: session.userId, aud: "convex", o: { id: session.activeOrgId } });
    expect(tokenExpiry(token!)).toBeGreaterThan(Date.now());
    // Cached until close to expiry; a forced refresh asks the provider again.
    expect(await client.getToken({ forceRefresh: false })).toBe(token);
    expect(await client.getToken({ forceRefresh: true })).toEqual(expect.any(String));
  });

  it("switches organization, and the next token carries it", async () => {
    const session = await client.signIn({ email: "ben.carter@example.com" });
    const orgs = await client.listOrganizations();
    expect(orgs.map((o) => o.name).sort()).toEqual(["Acme", "Globex"]);
    const other = orgs.find((o) => o.id !== session.activeOrgId)!;

    const switched = await client.setActiveOrganization(other.id);
    expect(switched.activeOrgId).toBe(other.id);
    expect(page.jar.get(OFFLINE_ORG_COOKIE)).toBe(other.id);
    const token = await client.getToken({ forceRefresh: false });
    expect(claimsOf(token!)).toMatchObject({ o: { id: other.id } });
  });

  it("signs up without an organization, then creates one and makes it active", async () => {
    const session = await client.signUp({ firstName: "Zoe", lastName: "Quinn", email: "zoe.quinn@example.com" });
    expect(session.activeOrgId).toBeNull();
    expect(page.jar.has(OFFLINE_ORG_COOKIE)).toBe(false);
    expect(await client.listOrganizations()).toEqual([]);

    const org = await client.createOrganization("Zoe's team");
    expect(org).toMatchObject({ name: "Zoe's team", role: "org:admin" });
    await client.setActiveOrganization(org.id);
    expect(await client.listOrganizations()).toEqual([expect.objectContaining({ id: org.id, role: "org:admin" })]);
    expect(claimsOf((await client.getToken({ forceRefresh: true }))!)).toMatchObject({ o: { rol: "admin" } });
  });

  it("restores the session from the cookies, and forgets it once it ended elsewhere", async () => {
    const session = await client.signIn({ email: "chloe.nguyen@example.com" });
    const reloaded = createHttpOfflineIdentityClient({ baseUrl: APP_ORIGIN, fetch: page.fetch });
    expect(await reloaded.session()).toEqual(session);

    // Signed out elsewhere: the routes find the session ended, and clear the cookies.
    routes.idp.sessions.end(page.jar.get(OFFLINE_SESSION_COOKIE)!);
    expect(await reloaded.getToken({ forceRefresh: true })).toBeNull();
    expect(page.jar.size).toBe(0);
    expect(await reloaded.session()).toBeNull();
  });

  it("signs out: the cookies are cleared and the provider ends the session", async () => {
    await client.signIn({ email: "diego.ramirez@example.com" });
    const sessionId = page.jar.get(OFFLINE_SESSION_COOKIE)!;
    await client.signOut();
    expect(page.jar.size).toBe(0);
    expect(routes.idp.sessions.get(sessionId).status).toBe("ended");
    expect(await client.getToken({ forceRefresh: false })).toBeNull();
  });

  it("manages an organization's members in the directory: add, change role, remove", async () => {
    const session = await client.signIn({ email: "erin.walsh@example.com" });
    const globex = session.activeOrgId!;
    const roles = async () =>
      Object.fromEntries((await client.listMembers(globex)).map((m) => [m.account.email, m.role]));
    expect(await roles()).toEqual({ "erin.walsh@example.com": "org:admin", "ben.carter@example.com": "org:member" });

    const chloe = (await client.listAccounts()).find((a) => a.email === "chloe.nguyen@example.com")!;
    await client.addMember(globex, chloe.id, "org:viewer");
    expect(await roles()).toMatchObject({ "chloe.nguyen@example.com": "org:viewer" });

    await client.changeRole(globex, chloe.id, "org:billing");
    expect(await roles()).toMatchObject({ "chloe.nguyen@example.com": "org:billing" });

    await client.removeMember(globex, chloe.id);
    expect(await roles()).not.toHaveProperty(["chloe.nguyen@example.com"]);
    const [member] = await client.listMembers(globex);
    expect(member?.account).toMatchObject({ firstName: "Erin", lastName: "Walsh" });
  });

  it("reports the provider's refusal of a membership change", async () => {
    const session = await client.signIn({ email: "erin.walsh@example.com" });
    const ben = (await client.listAccounts()).find((a) => a.email === "ben.carter@example.com")!;
    await expect(client.addMember(session.activeOrgId!, ben.id, "org:member")).rejects.toMatchObject({ status: 409 });
    await expect(client.changeRole(session.activeOrgId!, ben.id, "org:owner")).rejects.toMatchObject({ status: 400 });
  });

  it("says so when the app's routes do not answer", async () => {
    const down = createHttpOfflineIdentityClient({
      baseUrl: APP_ORIGIN,
      fetch: (() => Promise.reject(new TypeError("fetch failed"))) as typeof fetch,
    });
    await expect(down.listAccounts()).rejects.toMatchObject({ code: "unreachable" });
  });

  it("reports the provider's own refusal", async () => {
    await expect(client.signIn({ email: "nobody@example.com" })).rejects.toMatchObject({ status: 404 });
    await expect(
      client.signUp({ firstName: "A", lastName: "B", email: "alice.johnson@example.com" }),
    ).rejects.toMatchObject({ status: 409 });
  });
});
