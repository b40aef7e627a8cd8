/**
 * The app in a real browser (Debian's Chromium), on a production build and the offline stack:
 * - update latency between two pages: a task moved with the keyboard in page A (one member) until
 *   the card shows up in the other column of page B (another member), both instants taken inside
 *   the pages on the shared clock (`performance.timeOrigin + performance.now()`);
 * - the first-load JavaScript of the landing page and the dashboard: every script the page loads
 *   before it is idle, in bytes as served and gzip-compressed.
 *
 * Needs `npm run build` (it runs it when there is no build). The build points at the offline stack's
 * default ports, so nothing else may be listening on 3210–3212 while it runs.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { chromium, type Browser, type BrowserContext, type Page } from "@playwright/test";
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
  const app = spawn("npx", ["next", "start", "-p", String(APP_PORT)], {
    stdio: "ignore",
    // The app signs people in through the identity provider with the key of this stack.
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", OFFLINE_IDP_API_KEY_FILE: apiKeyFile },
    // Its own process group, so stopping it stops next-server under npx too.
    detached: true,
  });
  process.once("exit", () => stopApp(app));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(APP_URL)).ok) return app;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`next start did not answer on ${APP_URL} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
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

function stopApp(app: ChildProcess): void {
  try {
    process.kill(-app.pid!, "SIGTERM");
  } catch {
    // already gone
  }
}

async function signedIn(browser: Browser, email: string): Promise<Page> {
  const page = await (await newContext(browser)).newPage();
  await page.goto(`${APP_URL}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/dashboard/);
  return page;
}

/** Scripts a fresh page loads until the network is idle: bytes as served, and gzip-compressed. */
async function firstLoadJs(browser: Browser, path: string, email?: string) {
  // Signing in loads scripts too: do it in one context, then measure in a new one with its
  // cookies and storage but an empty HTTP cache.
  let storageState: Awaited<ReturnType<BrowserContext["storageState"]>> | undefined;
  if (email) {
    const page = await signedIn(browser, email);
    storageState = await page.context().storageState();
    await page.context().close();
  }
  const context = await newContext(browser, storageState ? { storageState } : {});
  const page = await context.newPage();
  const scripts: Promise<Buffer>[] = [];
  page.on("response", (response) => {
    if (response.request().resourceType() === "script") scripts.push(response.body());
  });
  await page.goto(`${APP_URL}${path}`, { waitUntil: "networkidle" });
  if (new URL(page.url()).pathname !== path) throw new Error(`${path} redirected to ${page.url()}`);
  const bodies = await Promise.all(scripts);
  await context.close();
  return {
    files: bodies.length,
    bytes: bodies.reduce((sum, body) => sum + body.length, 0),
    gzip: bodies.reduce((sum, body) => sum + gzipSync(body).length, 0),
  };
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
    for (const [label, path, email] of [
      ["landing page", "/", undefined],
      ["dashboard", "/dashboard", "alice.johnson@example.com"],
    ] as const) {
      const js = await firstLoadJs(browser, path, email);
      console.log(
        `first-load JavaScript, ${label}: ${js.files} files, ${(js.bytes / 1024).toFixed(1)} KiB as served, ` +
          `${(js.gzip / 1024).toFixed(1)} KiB gzip`,
      );
    }
  } finally {
    await browser?.close();
    if (app) stopApp(app);
    await stack.stop();
  }
}
