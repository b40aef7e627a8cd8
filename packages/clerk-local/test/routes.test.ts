// @vitest-environment node
// The /api/offline routes as a hostile page or process meets them: the session cookie it
// cannot read, requests from other sites it cannot make, and what a signed-in member may not do.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createHttpOfflineIdentityClient } from "../src/react/client";
import { OFFLINE_SESSION_COOKIE } from "../src/next";
import { APP_ORIGIN, browser, startOfflineRoutes } from "../src/testing";
import { CONFIG } from "./fixture";

let routes: Awaited<ReturnType<typeof startOfflineRoutes>>;

beforeAll(async () => {
  routes = await startOfflineRoutes(CONFIG);
});
afterAll(async () => {
  await routes?.close();
});

const org = (slug: string) => routes.idp.directory.listOrganizations().find((o) => o.slug === slug)!;
const user = (email: string) => routes.idp.directory.listUsers({ email_address: email })[0]!;

async function signedIn(email: string) {
  const page = browser(routes.handle);
  const client = createHttpOfflineIdentityClient({ baseUrl: APP_ORIGIN, fetch: page.fetch });
  const session = await client.signIn({ email });
  return { page, client, session };
}

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("the session cookie", () => {
  it("is HttpOnly and SameSite=Lax, and its value never reaches the page", async () => {
    const { page, session } = await signedIn("alice.johnson@example.com");
    const lines = page.setCookies.filter((line) => line.startsWith(`${OFFLINE_SESSION_COOKIE}=`));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatch(/;\s*HttpOnly/i);
      expect(line).toMatch(/;\s*SameSite=Lax/i);
      expect(line).toMatch(/;\s*Path=\//i);
    }
    const cookie = page.jar.get(OFFLINE_SESSION_COOKIE)!;
    expect(session.sessionId).not.toBe(cookie);
    const answer = await (await page.request("/api/offline/session")).text();
    expect(answer).not.toContain(cookie);
  });
});

describe("requests from elsewhere", () => {
  const hostile: [string, Record<string, string | null>, number][] = [
    ["another site's page (Origin)", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }, 403],
    ["a page on another local port", { origin: "http://localhost:8080", "sec-fetch-site": "same-site" }, 403],
    ["a page naming only its site", { origin: null, "sec-fetch-site": "cross-site" }, 403],
    [
      "a DNS-rebinding page (its own host name)",
      { host: "evil.example:3000", origin: "http://evil.example:3000" },
      421,
    ],
  ];

  it.each(hostile)("%s cannot sign in, get a token or change a membership", async (_what, headers, status) => {
    const { page, session } = await signedIn("erin.walsh@example.com");
    const chloe = user("chloe.nguyen@example.com");
    const usersBefore = routes.idp.directory.listUsers().length;
    const attempts: [string, RequestInit][] = [
      ["/api/offline/sign-in", json({ email: "alice.johnson@example.com" })],
      ["/api/offline/sign-up", json({ email: `mallory.${Date.now()}@example.com` })],
      ["/api/offline/token", json({})],
      [`/api/offline/organizations/${session.activeOrgId}/members`, json({ userId: chloe.id, role: "org:admin" })],
      ["/api/offline/sign-out", json({})],
    ];
    for (const [path, init] of attempts) {
      const response = await page.request(path, init, headers);
      expect(response.status, path).toBe(status);
      expect(await response.text()).not.toMatch(/"jwt"|eyJ/);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect(routes.idp.directory.listUsers().length).toBe(usersBefore);
    expect(routes.idp.directory.listMemberships({ organization_id: session.activeOrgId!, user_id: chloe.id })).toEqual(
      [],
    );
    expect(routes.idp.sessions.get(page.jar.get(OFFLINE_SESSION_COOKIE)!).status).toBe("active");
  });

  it("a form post (not JSON) is refused, even from this origin", async () => {
    const { page } = await signedIn("alice.johnson@example.com");
    const form = await page.request("/api/offline/sign-up", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=formed%40example.com",
    });
    expect(form.status).toBe(415);
    expect(routes.idp.directory.listUsers({ email_address: "formed@example.com" })).toEqual([]);
    const plain = await page.request("/api/offline/token", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    expect(plain.status).toBe(415);
    expect(await plain.text()).not.toMatch(/eyJ/);
  });

  it("a process with no session cookie gets no token", async () => {
    const anonymous = browser(routes.handle);
    const response = await anonymous.request("/api/offline/token", json({}));
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("session_ended");
  });
});

describe("what a signed-in user may do", () => {
  it("a member who is not an admin cannot add, change or remove members", async () => {
    const { client, session } = await signedIn("ben.carter@example.com");
    const acme = org("acme").id;
    expect(session.activeOrgId).toBe(acme);
    const chloe = user("chloe.nguyen@example.com");
    await expect(client.changeRole(acme, chloe.id, "org:admin")).rejects.toMatchObject({ status: 403 });
    await expect(client.removeMember(acme, user("alice.johnson@example.com").id)).rejects.toMatchObject({
      status: 403,
    });
    await expect(client.addMember(acme, user("erin.walsh@example.com").id, "org:admin")).rejects.toMatchObject({
      status: 403,
    });
    expect(routes.idp.directory.listMemberships({ organization_id: acme, user_id: chloe.id })[0]?.role).toBe(
      "org:viewer",
    );
  });

  it("nobody sees the members of an organization they do not belong to", async () => {
    const { client } = await signedIn("alice.johnson@example.com");
    await expect(client.listMembers(org("globex").id)).rejects.toMatchObject({ status: 404 });
  });

  it("an organization is created by the signed-in user, never by one the page names", async () => {
    const { page } = await signedIn("chloe.nguyen@example.com");
    const response = await page.request(
      "/api/offline/organizations",
      json({ name: "Not mine", created_by: user("alice.johnson@example.com").id }),
    );
    expect(response.status).toBe(400);
    expect(routes.idp.directory.listOrganizations().some((o) => o.name === "Not mine")).toBe(false);
  });
});
