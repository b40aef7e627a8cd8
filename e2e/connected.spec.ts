import { expect, test } from "@playwright/test";

import { expectNoReload, markNoReload } from "./support";

/**
 * Connected mode's browser side in its production build. Clerk's scripts come from the instance's
 * Frontend API, which nothing here can reach, so the page gets a stand-in for clerk-js with the same
 * global, `load`, `addListener` and `mountSignIn` the app calls, recording what it was given.
 */
const FRONTEND_API = "https://clerk.example.invalid";

// Served by e2e/connected-server.ts (playwright.config.ts starts it).
test.use({ baseURL: "http://localhost:3005" });

const FAKE_CLERK_JS = `(() => {
  const record = {
    publishableKey: document.currentScript?.getAttribute("data-clerk-publishable-key") ?? null,
    loads: [],
    mounts: [],
  };
  window.__fakeClerk = record;
  const resources = { client: {}, session: null, user: null, organization: null };
  let options = null;
  window.Clerk = {
    loaded: false,
    status: "loading",
    session: null,
    async load(given) {
      options = given;
      record.loads.push({
        ...JSON.parse(JSON.stringify(given)),
        routerPush: typeof given.routerPush,
        routerReplace: typeof given.routerReplace,
        ui: typeof given.ui?.ClerkUI?.then,
      });
      this.loaded = true;
      this.status = "ready";
    },
    addListener(callback) {
      callback(resources);
      return () => {};
    },
    mountSignIn(node, props) {
      record.mounts.push({ component: "SignIn", props });
      const next = document.createElement("button");
      next.textContent = "Continue";
      next.onclick = () =>
        options.routerPush("/sign-in/factor-one", { __internal_metadata: { navigationType: "internal" } });
      node.append(next);
    },
    unmountSignIn(node) {
      record.mounts.push({ component: "-SignIn" });
      node.replaceChildren();
    },
  };
})();`;

test("connected build: /sign-in loads clerk-js from the instance once, with the app's options, and mounts Clerk's sign-in", async ({
  page,
}) => {
  const requested: string[] = [];
  await page.route(`${FRONTEND_API}/**`, async (route) => {
    const url = route.request().url();
    requested.push(new URL(url).pathname);
    if (url.endsWith("/clerk.browser.js")) {
      await route.fulfill({ contentType: "application/javascript", body: FAKE_CLERK_JS });
    } else if (url.endsWith("/ui.browser.js")) {
      await route.fulfill({
        contentType: "application/javascript",
        body: "window.__internal_ClerkUICtor = function () {};",
      });
    } else {
      await route.fulfill({ status: 404, body: "" });
    }
  });

  await page.goto("/sign-in");
  await expect(page.getByRole("button", { name: "Continue" })).toBeVisible();
  const record = await page.evaluate(
    () => (window as unknown as { __fakeClerk: Record<string, unknown[]> }).__fakeClerk,
  );
  expect(record.publishableKey).toMatch(/^pk_live_/);
  expect(record.loads).toEqual([
    expect.objectContaining({
      signInUrl: "/sign-in",
      signUpUrl: "/sign-up",
      signInFallbackRedirectUrl: "/dashboard",
      afterSignOutUrl: "/",
      taskUrls: { "choose-organization": "/select-org" },
      routerPush: "function",
      routerReplace: "function",
      ui: "function",
    }),
  ]);
  expect(record.mounts).toEqual([
    {
      component: "SignIn",
      props: { routing: "path", path: "/sign-in", signUpUrl: "/sign-up", fallbackRedirectUrl: "/dashboard" },
    },
  ]);
  // The script tag in the server-rendered page and the loader share one download.
  expect(requested.filter((path) => path.endsWith("/clerk.browser.js"))).toHaveLength(1);
  expect(requested.some((path) => /^\/npm\/@clerk\/clerk-js@\d+\/dist\/clerk\.browser\.js$/.test(path))).toBe(true);

  // A step inside the sign-in flow changes the URL only: no reload, and the component stays mounted.
  await markNoReload(page);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/sign-in\/factor-one$/);
  await expectNoReload(page);
  const mounts = await page.evaluate(
    () => (window as unknown as { __fakeClerk: { mounts: unknown[] } }).__fakeClerk.mounts,
  );
  expect(mounts).toHaveLength(1);
});
