import { expect, test, type Page } from "@playwright/test";
import { expectAccessible, IDP_URL, idp, newUser, signIn } from "./support";

/**
 * Misconfigured tokens, made on purpose by the local identity provider for one test user
 * (`PATCH /token-settings` with `user_id`), so no other test's tokens change.
 */
type TokenSettings = { audience?: string; organization_claims?: boolean };

async function breakTokens(userId: string, settings: TokenSettings): Promise<() => Promise<void>> {
  await idp("PATCH", "/token-settings", { user_id: userId, ...settings });
  return async () => {
    await idp("DELETE", `/token-settings?user_id=${encodeURIComponent(userId)}`);
  };
}

/** The `[auth] …` reports the app writes to the console (the only place a production build shows them). */
function authReports(page: Page): string[] {
  const reports: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && message.text().startsWith("[auth]")) reports.push(message.text());
  });
  return reports;
}

test("tokens with the wrong audience: a banner names the cause and the fix instead of an empty page", async ({
  page,
}, testInfo) => {
  const user = await newUser("Audrey", { slug: "acme", role: "org:member" });
  const restore = await breakTokens(user.id, { audience: "not-convex" });
  try {
    const reports = authReports(page);
    await signIn(page, user.email_address);
    await expect(page).toHaveURL(/\/dashboard$/);

    const banner = page.getByTestId("auth-problem");
    await expect(banner).toBeVisible();
    await expect(banner).toHaveAttribute("data-cause", "wrong-audience");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText('The token\'s audience is not "convex"');
    await expect(banner).toContainText('audience "not-convex"');
    await expect(page.getByTestId("auth-problem-fix")).toContainText(`curl -X DELETE ${IDP_URL}/token-settings`);
    // What the app saw, including Convex's own reason for refusing.
    await banner.getByText("What the app saw").click();
    await expect(banner.getByText("No auth provider found matching the given token")).toBeVisible();
    // Nothing of the workspace behind it: no counters, no skeleton left spinning.
    await expect(page.getByTestId("count-todo")).toHaveCount(0);
    await expect(page.getByTestId("dashboard")).toHaveCount(0);
    await expectAccessible(page, testInfo, "auth-problem-wrong-audience");
    await testInfo.attach("auth-problem-wrong-audience.png", {
      body: await page.screenshot({ fullPage: true }),
      contentType: "image/png",
    });
    expect(reports.some((report) => report.includes("(wrong-audience)"))).toBe(true);

    // The link leads to the documentation section with the fix, served by the app.
    await page.getByTestId("auth-problem-docs").click();
    await expect(page).toHaveURL(/\/docs\/going-live#convex-refused-the-token$/);
    await expect(page.getByRole("heading", { name: "Convex refused the token" })).toBeInViewport();

    // Fixed at the source, a reload gets the user in.
    await restore();
    await page.goto("/dashboard");
    await expect(page.getByTestId("count-todo")).toBeVisible();
    await expect(page.getByTestId("auth-problem")).toHaveCount(0);
  } finally {
    await restore();
  }
});

test("tokens without organization claims: the banner says the token names no organization", async ({ page }) => {
  const user = await newUser("Orla", { slug: "acme", role: "org:member" });
  const restore = await breakTokens(user.id, { organization_claims: false });
  try {
    await signIn(page, user.email_address);
    const banner = page.getByTestId("auth-problem");
    await expect(banner).toHaveAttribute("data-cause", "no-org-claims");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("The token has no organization claims");
    await expect(page.getByTestId("auth-problem-fix")).toContainText("/token-settings");
    await expect(page.getByTestId("auth-problem-docs")).toHaveAttribute(
      "href",
      "/docs/going-live#the-token-has-no-organization-claims",
    );
  } finally {
    await restore();
  }
});
