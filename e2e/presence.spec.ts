import { expect, test, type Page } from "@playwright/test";
import { DEMO, idp, newUser, signedInPage, unique } from "./support";

/**
 * Well inside the server's timeout (2.5 heartbeats of 5 s): an avatar gone by then went because the
 * closing tab said so, not because its session expired.
 */
const GONE_WITHIN_MS = 5_000;
/** The server's session timeout: 2.5 heartbeat intervals of 5 s. */
const TIMEOUT_MS = 12_500;

const viewers = (page: Page) => page.getByTestId("board-viewers");
const avatarOf = (page: Page, name: string) => viewers(page).getByTitle(name, { exact: true });

/** Creates a project from the projects page, which opens its board. */
async function createProject(page: Page, name: string) {
  await page.getByTestId("create-project").click();
  await page.getByLabel("Name").fill(name);
  await page.getByTestId("project-name-submit").click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

test("two members on one board see each other, and the one who stays sees the other leave within seconds", async ({
  browser,
}) => {
  const alice = await signedInPage(browser, DEMO.alice.email, "/projects");
  const project = unique("Presence board");
  await createProject(alice, project);
  // Alone on the board: nothing is shown, not even herself.
  await expect(alice.getByTestId("board-column-todo")).toBeVisible();
  await expect(viewers(alice)).toHaveCount(0);

  const ben = await signedInPage(browser, DEMO.ben.email, "/projects");
  await ben.getByRole("link", { name: project }).click();
  await expect(ben.getByRole("heading", { level: 1, name: project })).toBeVisible();

  await expect(avatarOf(alice, DEMO.ben.name)).toBeVisible();
  await expect(avatarOf(ben, DEMO.alice.name)).toBeVisible();
  await expect(avatarOf(alice, DEMO.alice.name)).toHaveCount(0);
  await expect(avatarOf(ben, DEMO.ben.name)).toHaveCount(0);
  await expect(viewers(alice)).toHaveAccessibleName("Also on this board");

  const closedAt = Date.now();
  await ben.close();
  await expect(avatarOf(alice, DEMO.ben.name)).toHaveCount(0, { timeout: GONE_WITHIN_MS });
  test.info().annotations.push({ type: "gone after", description: `${Date.now() - closedAt} ms` });
  await expect(viewers(alice)).toHaveCount(0);

  await Promise.all([alice.context().close(), ben.context().close()]);
});

test("a tab that stops without a word is gone once its session times out", async ({ browser }) => {
  const alice = await signedInPage(browser, DEMO.alice.email, "/projects");
  const project = unique("Presence timeout");
  await createProject(alice, project);
  const ben = await signedInPage(browser, DEMO.ben.email, "/projects");
  await ben.getByRole("link", { name: project }).click();
  await expect(avatarOf(alice, DEMO.ben.name)).toBeVisible();

  // A crashed tab runs nothing: no pagehide, no disconnect. Only the server's timeout ends its session.
  const cdp = await ben.context().newCDPSession(ben);
  const crashed = ben.waitForEvent("crash");
  void cdp.send("Page.crash").catch(() => undefined);
  await crashed;
  const crashedAt = Date.now();
  await alice.waitForTimeout(GONE_WITHIN_MS);
  await expect(avatarOf(alice, DEMO.ben.name)).toBeVisible();
  await expect(avatarOf(alice, DEMO.ben.name)).toHaveCount(0, { timeout: TIMEOUT_MS + 5_000 });
  test.info().annotations.push({ type: "gone after", description: `${Date.now() - crashedAt} ms` });

  await Promise.all([alice.context().close(), ben.context().close()]);
});

test("the dashboard shows who is on each project's board, live", async ({ browser }) => {
  // An organization of its own, so its dashboard lists exactly this project.
  const owner = await newUser("Olga");
  const org = await idp<{ id: string }>("POST", "/directory/organizations", {
    name: unique("Presence team"),
    created_by: owner.id,
  });
  const mate = await newUser("Milo");
  await idp("POST", `/directory/organizations/${org.id}/memberships`, { user_id: mate.id, role: "org:member" });

  const dashboard = await signedInPage(browser, owner.email_address, "/projects");
  const project = unique("Standup");
  await createProject(dashboard, project);
  await dashboard.goto("/dashboard");
  const row = dashboard.getByTestId("dashboard-projects").getByRole("listitem").filter({ hasText: project });
  await expect(row).toBeVisible();
  await expect(row.getByTestId("board-viewers")).toHaveCount(0);

  const board = await signedInPage(browser, mate.email_address, "/projects");
  await board.getByRole("link", { name: project }).click();
  await expect(row.getByTestId("board-viewers").getByTitle(mate.name, { exact: true })).toBeVisible();
  await expect(row.getByTestId("board-viewers")).toHaveAccessibleName("On this board now");

  // Leaving the board for another page of the app ends the session too.
  await board.getByRole("link", { name: "Projects", exact: true }).first().click();
  await expect(board).toHaveURL(/\/projects$/);
  await expect(row.getByTestId("board-viewers")).toHaveCount(0, { timeout: GONE_WITHIN_MS });

  await Promise.all([dashboard.context().close(), board.context().close()]);
});
