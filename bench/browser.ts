/**
 * The app in a real browser (Debian's Chromium), on a production build and the offline stack:
 * - update latency between two pages: a task moved with the keyboard in page A (one member) until
 *   the card shows up in the other column of page B (another member), both instants taken inside
 *   the pages on the shared clock (`performance.timeOrigin + performance.now()`);
 * - first-load JavaScript per page, for the offline build and a connected build, and the dashboard's
 *   Largest Contentful Paint (see ./first-load.ts for the method).
 *
 * Needs `npm run build` (it runs it when there is no build). The build points at the offline stack's
 * default ports, so nothing else may be listening on 3210–3212 while it runs.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "@playwright/test";
import {
  APP_PAGES,
  buildConnected,
  dashboardLcp,
  manifestScripts,
  pageScripts,
  printTable,
  startNext,
  stopNext,
  PUBLIC_PAGES,
  type Figures,
  type StorageState,
} from "./first-load";
import { percentile, startStack } from "./stack";

const APP_PORT = 3100;
const APP_URL = `http://localhost:${APP_PORT}`;
const MOVES = 60;
const WARMUP = 5;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

async function startApp(apiKeyFile: string): Promise<ChildProcess> {
  if (!existsSync(".next/BUILD_ID")) {
    console.log("(no production build: running npm run build first)");
    const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
    if (build.status !== 0) throw new Error("npm run build failed");
  }
  // The app signs people in through the identity provider with the key of this stack.
  const app = await startNext(process.cwd(), APP_PORT, {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: "1",
    OFFLINE_IDP_API_KEY_FILE: apiKeyFile,
  });
  process.once("exit", () => stopNext(app));
  return app;
}

/**
 * A browser context for the bench. Functions handed to `page.evaluate` are compiled by tsx, which
 * wraps named functions in an `__name` helper the page does not have; give the page a no-op one.
 */
async function newContext(browser: Browser, options: Parameters<Browser["newContext"]>[0] = {}) {
  const context = await browser.newContext(options);
  await context.addInitScript("window.__name = (fn) => fn;");
  return context;
}

async function signedIn(browser: Browser, email: string): Promise<Page> {
  const page = await (await newContext(browser)).newPage();
  await page.goto(`${APP_URL}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/dashboard/);
  return page;
}

/** The first project's board, as a signed-in member reaches it. */
async function boardPath(browser: Browser, storageState: StorageState): Promise<string> {
  const context = await browser.newContext({ storageState });
  const page = await context.newPage();
  await page.goto(`${APP_URL}/projects`);
  const href = await page.getByRole("link", { name: "Mobile app" }).getAttribute("href");
  await context.close();
  if (href === null) throw new Error("no board link on /projects");
  return href;
}

async function updateLatency(browser: Browser): Promise<number[]> {
  const a = await signedIn(browser, "alice.johnson@example.com");
  const b = await signedIn(browser, "ben.carter@example.com");
  for (const page of [a, b]) {
    await page.goto(`${APP_URL}/projects`);
    await page.getByRole("link", { name: "Mobile app" }).click();
    await page.getByTestId("board-column-todo").getByRole("article").first().waitFor();
  }
  const title = await a.getByTestId("board-column-todo").getByTestId("task-title").first().innerText();

  const samples: number[] = [];
  for (let round = 0; round < MOVES + WARMUP; round += 1) {
    const to = round % 2 === 0 ? "in_progress" : "todo";
    const from = to === "todo" ? "in_progress" : "todo";
    // Page B notes the moment the card appears in the target column.
    const seen = b.evaluate(
      ({ to, title }) =>
        new Promise<number>((resolve) => {
          const column = document.querySelector(`[data-testid="board-column-${to}"]`)!;
          const present = () =>
            [...column.querySelectorAll('[data-testid="task-title"]')].some((el) => el.textContent === title);
          const observer = new MutationObserver(() => {
            if (!present()) return;
            observer.disconnect();
            resolve(performance.timeOrigin + performance.now());
          });
          observer.observe(column, { childList: true, subtree: true, characterData: true });
        }),
      { to, title },
    );
    // Handled at once, so a failure in page A below cannot leave it rejecting unobserved.
    seen.catch(() => {});
    // Page A presses Alt+→ / Alt+← on the card and notes the moment.
    const sent = await a.evaluate(
      ({ from, title, key }) => {
        const button = [
          ...document.querySelectorAll(`[data-testid="board-column-${from}"] [data-testid="task-title"]`),
        ].find((el) => el.textContent === title) as HTMLButtonElement;
        button.focus();
        const at = performance.timeOrigin + performance.now();
        button.dispatchEvent(new KeyboardEvent("keydown", { key, altKey: true, bubbles: true, cancelable: true }));
        return at;
      },
      { from, title, key: to === "in_progress" ? "ArrowRight" : "ArrowLeft" },
    );
    const [arrived] = await Promise.all([seen]);
    if (round >= WARMUP) samples.push(arrived - sent);
    // Let page A settle (its mutation confirmed) before the next move.
    await a.getByTestId(`board-column-${to}`).getByRole("article", { name: title }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return samples.sort((x, y) => x - y);
}

export async function benchBrowser(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    return;
  }
  const stack = await startStack("bench-browser-", { defaultPorts: true });
  let app: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    app = await startApp(stack.apiKeyFile);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
      ],
    });
    console.log("(signing in two members and opening the same board in two pages)");
    const samples = await updateLatency(browser);
    console.log(
      `update latency, keyboard move in page A → card in the other column of page B (${samples.length} moves, ` +
        `${WARMUP} warm-up): p50 ${percentile(samples, 50).toFixed(1)} ms, p95 ${percentile(samples, 95).toFixed(1)} ms, ` +
        `max ${samples[samples.length - 1]!.toFixed(1)} ms`,
    );

    // First-load JavaScript, offline build: every page in the browser.
    const signedInPage = await signedIn(browser, "alice.johnson@example.com");
    const state = await signedInPage.context().storageState();
    await signedInPage.context().close();
    const board = await boardPath(browser, state);
    const offline: [string, Figures][] = [];
    for (const pathname of PUBLIC_PAGES) offline.push([pathname, await pageScripts(browser, APP_URL, pathname)]);
    for (const [pathname] of APP_PAGES) {
      const url = pathname === "/projects/[projectId]" ? board : pathname;
      offline.push([pathname, await pageScripts(browser, APP_URL, url, state)]);
    }
    printTable("first-load JavaScript, offline build (Chromium, same-origin scripts until network idle)", offline);
    const lcp = await dashboardLcp(browser, APP_URL, state);
    console.log(
      `\nLargest Contentful Paint, dashboard (offline build, cold cache, ${lcp.length} loads): ` +
        `median ${percentile(lcp, 50).toFixed(0)} ms, min ${lcp[0]!.toFixed(0)} ms, max ${lcp[lcp.length - 1]!.toFixed(0)} ms`,
    );

    // Connected build, in a temporary copy of the project.
    const connected = buildConnected();
    const server = await startNext(connected.dir, APP_PORT + 1, connected.env);
    try {
      const rows: [string, Figures][] = [];
      for (const pathname of PUBLIC_PAGES) {
        rows.push([pathname, await pageScripts(browser, `http://localhost:${APP_PORT + 1}`, pathname)]);
      }
      printTable("first-load JavaScript, connected build, public pages (Chromium, as above)", rows);
      printTable(
        "first-load JavaScript, connected build, app pages (the scripts each page's HTML loads, from the build manifest)",
        APP_PAGES.map(([pathname, entry]) => [pathname, manifestScripts(path.join(connected.dir, ".next"), entry)]),
      );
    } finally {
      stopNext(server);
      connected.remove();
    }
  } finally {
    await browser?.close();
    if (app) stopNext(app);
    await stack.stop();
  }
}
