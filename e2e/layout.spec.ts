import { expect, test, type Page } from "@playwright/test";
import { DEMO, signIn } from "./support";

// A phone-sized viewport: no page may be wider than the window (a page that is scrolls sideways,
// with its header stopping at the viewport). Wide content (the board's columns) scrolls in its own box.
test.use({ viewport: { width: 390, height: 844 } });

async function overflow(page: Page) {
  return page.evaluate(() => ({
    documentWidth: document.documentElement.scrollWidth,
    windowWidth: window.innerWidth,
  }));
}

async function expectFits(page: Page, pathname: string) {
  const { documentWidth, windowWidth } = await overflow(page);
  expect(documentWidth, `${pathname}: the document is ${documentWidth}px wide in a ${windowWidth}px window`).toBe(
    windowWidth,
  );
}

test("at 390 px no page is wider than the window, the board included", async ({ page }) => {
  for (const pathname of ["/", "/docs", "/sign-in"]) {
    await page.goto(pathname);
    await page.getByRole("main").first().waitFor();
    await expectFits(page, pathname);
  }
  await signIn(page, DEMO.alice.email);
  for (const pathname of ["/dashboard", "/projects", "/activity", "/members", "/usage"]) {
    await page.goto(pathname);
    await page.waitForLoadState("networkidle");
    await expectFits(page, pathname);
  }
  await page.goto("/projects");
  await page.getByRole("link", { name: "Website relaunch" }).click();
  const board = page.getByTestId("board-column-done");
  await board.waitFor();
  await expectFits(page, "the board");
  // The columns are still all there: the third one is reached by scrolling the board, not the page.
  await board.scrollIntoViewIfNeeded();
  await expect(board).toBeInViewport();
  await expectFits(page, "the board, scrolled to its last column");
});

test("the sidebar runs the page's full height and its menu stays reachable in a short window", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 360 });
  await signIn(page, DEMO.alice.email);
  await page.goto("/activity");
  await page.waitForLoadState("networkidle");
  const sidebar = page.locator("aside");
  const { asideHeight, documentHeight } = await page.evaluate(() => ({
    asideHeight: document.querySelector("aside")!.getBoundingClientRect().height,
    documentHeight: document.documentElement.scrollHeight,
  }));
  expect(asideHeight).toBe(documentHeight);
  // Scrolled to the bottom, the navigation is still on screen and its last entry can be reached.
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const usage = sidebar.getByRole("link", { name: "Usage" });
  await usage.scrollIntoViewIfNeeded();
  await expect(usage).toBeInViewport();
});
