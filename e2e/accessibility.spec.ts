import { expect, test } from "@playwright/test";
import { DEMO, expectAccessible, signIn } from "./support";

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
