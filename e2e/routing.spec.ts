import { expect, test } from "@playwright/test";
import { DEMO, newUser, signIn } from "./support";

test.describe("getting in", () => {
  test("signed out on an app page → sign-in → back to the page asked for", async ({ page }) => {
    await page.goto("/projects?tab=archived");
    await expect(page).toHaveURL(/\/sign-in\?redirect_url=%2Fprojects%3Ftab%3Darchived$/);
    await signIn(page, DEMO.alice.email, { from: "redirect" });
    await expect(page).toHaveURL(/\/projects\?tab=archived$/);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  });

  test("signed in without an organization → /select-org → the app, with no loop", async ({ page }) => {
    const loner = await newUser("Nora");
    const visited: string[] = [];
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) visited.push(new URL(frame.url()).pathname);
    });
    await page.goto("/dashboard");
    await signIn(page, loner.email_address, { from: "redirect" });
    await expect(page).toHaveURL(/\/select-org/);
    await expect(page.getByText("You are not in any organization yet")).toBeVisible();
    await page.getByLabel("New organization").fill(`Nora's team ${Date.now()}`);
    await page.getByRole("button", { name: "Create" }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    // A redirect loop would show as the same pages over and over.
    expect(visited.length).toBeLessThan(10);
  });

  test("public pages never redirect, signed in or out, and an off-site redirect_url is ignored", async ({ page }) => {
    for (const path of ["/", "/sign-in", "/sign-up"]) {
      const response = await page.goto(path);
      expect(response?.status()).toBe(200);
      expect(new URL(page.url()).pathname).toBe(path);
    }
    await page.goto("/sign-in?redirect_url=https%3A%2F%2Fevil.example%2F");
    await signIn(page, DEMO.ben.email, { from: "here" });
    await expect(page).toHaveURL(/localhost:3000\/dashboard$/);
    const response = await page.goto("/");
    expect(response?.status()).toBe(200);
  });

  test("middleware answers with one redirect, never a chain", async ({ request }) => {
    const response = await request.get("/dashboard", { maxRedirects: 0 });
    expect(response.status()).toBe(307);
    const location = response.headers()["location"]!;
    expect(location).toMatch(/\/sign-in\?redirect_url=%2Fdashboard$/);
    const signInPage = await request.get(location, { maxRedirects: 0 });
    expect(signInPage.status()).toBe(200);
  });
});
