/**
 * Helpers for the browser tests: the local identity provider's directory API (to make users and
 * memberships a test owns), signing in through the app's own sign-in page, and waiting for live
 * updates measured inside the page.
 */
import { readFileSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Browser, type Page, type TestInfo } from "@playwright/test";

export const IDP_URL = "http://127.0.0.1:3212";
/** The identity provider's API key, which the stack for these tests keeps in its data directory (playwright.config.ts). */
export const IDP_API_KEY_FILE = ".offline/e2e/idp/api-key";

export const DEMO = {
  alice: { name: "Alice Johnson", email: "alice.johnson@example.com" },
  ben: { name: "Ben Carter", email: "ben.carter@example.com" },
  chloe: { name: "Chloe Nguyen", email: "chloe.nguyen@example.com" },
  diego: { name: "Diego Ramirez", email: "diego.ramirez@example.com" },
  erin: { name: "Erin Walsh", email: "erin.walsh@example.com" },
} as const;

/** JSON against the identity provider, with its API key; throws with its error message on a non-2xx answer. */
export async function idp<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const authorization = `Bearer ${readFileSync(IDP_API_KEY_FILE, "utf8").trim()}`;
  const response = await fetch(`${IDP_URL}${path}`, {
    method,
    headers: body === undefined ? { authorization } : { authorization, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

type Organization = { id: string; slug: string; name: string };
type User = { id: string; email_address: string; first_name: string; last_name: string };

export async function organization(slug: string): Promise<Organization> {
  const { data } = await idp<{ data: Organization[] }>("GET", "/directory/organizations");
  const found = data.find((org) => org.slug === slug);
  if (!found) throw new Error(`No organization ${slug} in the directory`);
  return found;
}

/** A new directory user only this test knows, optionally already a member of `slug` with `role`. */
export async function newUser(
  first: string,
  membership?: { slug: string; role: "org:admin" | "org:member" | "org:viewer" | "org:billing" },
): Promise<User & { name: string }> {
  const unique = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const user = await idp<User>("POST", "/directory/users", {
    email_address: `${first.toLowerCase()}.${unique}@example.com`,
    first_name: first,
    last_name: `Test${unique}`,
  });
  if (membership) {
    const org = await organization(membership.slug);
    await idp("POST", `/directory/organizations/${org.id}/memberships`, { user_id: user.id, role: membership.role });
  }
  return { ...user, name: `${user.first_name} ${user.last_name}` };
}

/** Signs in through the app's sign-in page by email and waits to land where the app sends us. */
export async function signIn(page: Page, email: string, options: { from?: string } = {}): Promise<void> {
  if (options.from === undefined) await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
}

/** A fresh browser context (its own cookies and storage), signed in as `email`, on `path`. */
export async function signedInPage(browser: Browser, email: string, path = "/dashboard"): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email);
  if (!page.url().endsWith(path)) await page.goto(path);
  return page;
}

/** A unique, readable name for something a test creates. */
export function unique(label: string): string {
  return `${label} ${Date.now().toString(36).slice(-5)}${Math.random().toString(36).slice(2, 5)}`;
}

/** Marks the page so a full reload (which would clear the mark) can be detected afterwards. */
export async function markNoReload(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
}

/** Fails if the page was reloaded since `markNoReload`. */
export async function expectNoReload(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
}

/** Runs axe on the page as it is and fails on serious or critical violations, listing them. */
export async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
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
