import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { DEMO, signIn } from "./support";

/** Runs axe on the page as it is and fails on serious or critical violations, listing them. */
async function expectAccessible(page: Page, testInfo: TestInfo, name: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  await testInfo.attach(`axe-${name}.json`, {
    body: JSON.stringify(results.violations, null, 2),
    contentType: "application/json",
  });
  expect(
    serious.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
  ).toEqual([]);
}

for (const theme of ["light", "dark"] as const) {
  test.describe(`${theme} theme`, () => {
    test.use({ colorScheme: theme });

    test("landing page", async ({ page }, testInfo) => {
      await page.goto("/");
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await expectAccessible(page, testInfo, `landing-${theme}`);
    });

    test("dashboard, board and members: accessible, with screenshots", async ({ page }, testInfo) => {
      await signIn(page, DEMO.alice.email);
      await page.goto("/dashboard");
      await expect(page.getByTestId("dashboard")).toHaveAttribute("aria-busy", "false");
      await expect(page.getByTestId("count-todo")).toBeVisible();
      await expectAccessible(page, testInfo, `dashboard-${theme}`);
      await testInfo.attach(`dashboard-${theme}.png`, {
        body: await page.screenshot({ fullPage: true }),
        contentType: "image/png",
      });

      await page.goto("/projects");
      await page.getByRole("link", { name: "Website relaunch" }).click();
      await expect(page.getByTestId("board-column-todo").getByRole("article").first()).toBeVisible();
      await expectAccessible(page, testInfo, `board-${theme}`);
      await testInfo.attach(`board-${theme}.png`, {
        body: await page.screenshot({ fullPage: true }),
        contentType: "image/png",
      });

      await page.goto("/members");
      await expect(page.getByTestId("members-list").getByTestId("member-row").first()).toBeVisible();
      await expectAccessible(page, testInfo, `members-${theme}`);
      await page.getByTestId("manage-members").click();
      await expect(page.getByRole("dialog")).toBeVisible();
      await expect(page.getByTestId("manage-member-row").first()).toBeVisible();
      await expectAccessible(page, testInfo, `manage-members-${theme}`);
    });
  });
}
