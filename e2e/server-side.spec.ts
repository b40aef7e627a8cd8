import { expect, test } from "@playwright/test";
import { DEMO, signedInPage, unique } from "./support";

test("server-side calls as the signed-in user: a route handler on Convex, and a proxy to the HTTP API", async ({
  browser,
  request,
}) => {
  // Signed out: no token to act with.
  expect((await request.get("/api/projects")).status()).toBe(401);
  expect((await request.get("/api/v1/me")).status()).toBe(401);

  const admin = await signedInPage(browser, DEMO.alice.email, "/dashboard");
  const listed = await admin.request.get("/api/projects");
  expect(listed.status()).toBe(200);
  const { projects } = (await listed.json()) as { projects: { name: string }[] };
  expect(projects.map((p) => p.name)).toContain("Website relaunch");

  const name = unique("Made on the server");
  const created = await admin.request.post("/api/projects", { data: { name } });
  expect(created.status()).toBe(201);
  // The browser's live query sees what the server wrote as the same user.
  await admin.goto("/projects");
  await expect(admin.getByRole("link", { name })).toBeVisible();

  const me = await admin.request.get("/api/v1/me");
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ organization: { name: "Acme" } });
  const viaProxy = await admin.request.post("/api/v1/projects", { data: { name: unique("Through the proxy") } });
  expect(viaProxy.status()).toBe(201);
  expect(viaProxy.headers()["location"]).toMatch(/\/api\/v1\/projects\//);

  // A viewer's write is refused by the Convex functions, whichever server path it takes.
  const viewer = await signedInPage(browser, DEMO.chloe.email, "/dashboard");
  const refused = await viewer.request.post("/api/projects", { data: { name: "Not allowed" } });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
  const refusedViaProxy = await viewer.request.post("/api/v1/projects", { data: { name: "Not allowed" } });
  expect(refusedViaProxy.status()).toBe(403);
});
