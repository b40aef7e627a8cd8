import { expect, test } from "@playwright/test";
import { DEMO, signedInPage, unique } from "./support";

test("server-side calls as the signed-in user: a proxy to the HTTP API with the user's token", async ({
  browser,
  request,
}) => {
  // Signed out: no token to act with.
  expect((await request.get("/api/v1/me")).status()).toBe(401);

  const admin = await signedInPage(browser, DEMO.alice.email, "/dashboard");
  const me = await admin.request.get("/api/v1/me");
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ organization: { name: "Acme" } });
  const listed = await admin.request.get("/api/v1/projects");
  expect(listed.status()).toBe(200);
  const { data } = (await listed.json()) as { data: { name: string }[] };
  expect(data.map((p) => p.name)).toContain("Website relaunch");

  const name = unique("Made on the server");
  const created = await admin.request.post("/api/v1/projects", { data: { name } });
  expect(created.status()).toBe(201);
  expect(created.headers()["location"]).toMatch(/\/api\/v1\/projects\//);
  // The browser's live query sees what the server wrote as the same user.
  await admin.goto("/projects");
  await expect(admin.getByRole("link", { name })).toBeVisible();

  // A viewer's write is refused by the Convex functions.
  const viewer = await signedInPage(browser, DEMO.chloe.email, "/dashboard");
  const refused = await viewer.request.post("/api/v1/projects", { data: { name: "Not allowed" } });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
});

test("a page on another port of the same host cannot create or archive projects as the signed-in user", async ({
  browser,
}) => {
  const admin = await signedInPage(browser, DEMO.alice.email, "/dashboard");
  const target = await admin.request.post("/api/v1/projects", { data: { name: unique("Target") } });
  expect(target.status()).toBe(201);
  const { _id: id } = (await target.json()) as { _id: string };
  const forged = unique("Forged");

  // Another origin on the same host: the same site, so the browser sends the SameSite=Lax session cookie along.
  const app = new URL(admin.url()).origin;
  const attacker = "http://localhost:3999";
  await admin.route(`${attacker}/**`, (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><title>Elsewhere</title><p>Elsewhere</p>" }),
  );
  await admin.goto(`${attacker}/`);
  // Requests that need no CORS preflight: a text/plain "JSON" body, and a body-less POST.
  await admin.evaluate(
    async ({ app, id, forged }) => {
      const send = (path: string, init: RequestInit) =>
        fetch(`${app}${path}`, { method: "POST", mode: "no-cors", credentials: "include", ...init }).catch(() => null);
      await send("/api/v1/projects", {
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ name: forged }),
      });
      await send(`/api/v1/projects/${id}/archive`, {});
    },
    { app, id, forged },
  );
  // A plain HTML form, which navigates to the answer.
  await admin.setContent(
    `<form method="post" action="${app}/api/v1/projects/${id}/archive"><button>Go</button></form>`,
  );
  await Promise.all([admin.waitForURL(/\/archive$/), admin.getByRole("button", { name: "Go" }).click()]);
  await expect(admin.locator("body")).toContainText("FORBIDDEN");

  // Nothing happened: the project is still active, and no project has the forged name.
  const project = await admin.request.get(`/api/v1/projects/${id}`);
  expect(await project.json()).toMatchObject({ status: "active" });
  const names: string[] = [];
  for (let cursor: string | null = null, pages = 0; pages < 50; pages++) {
    const listed = await admin.request.get(
      `/api/v1/projects?limit=100${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    const page = (await listed.json()) as { data: { name: string }[]; nextCursor: string | null };
    names.push(...page.data.map((p) => p.name));
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  expect(names).not.toContain(forged);
});
