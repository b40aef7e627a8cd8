/**
 * First-load JavaScript per page, for both builds, and the dashboard's Largest Contentful Paint.
 *
 * Method: a fresh browser context (empty HTTP cache) opens the page and waits for network idle; every
 * script response from the app's own origin counts (Clerk's scripts come from its CDN and do not),
 * raw and gzip -9 per file. Sizes are printed in KB (1,000 bytes).
 *
 * - Offline build (the project's `.next`): every page in Chromium, signed in where the page needs it.
 * - Connected build: the project built in a temporary copy with a well-formed production publishable
 *   key for a made-up domain (so Clerk's middleware serves pages instead of redirecting). Its public
 *   pages are measured in Chromium. The app pages need a Clerk session, which cannot exist without
 *   Clerk's servers; for them the figure is the union of the scripts the build manifest lists for the
 *   page and its layouts: the scripts its HTML loads (what the offline build's browser figures are
 *   made of, minus prefetches, which here start only on hover or focus).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { Browser, BrowserContext } from "@playwright/test";

export type Figures = { files: number; raw: number; gzip: number };
export type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

function figures(bodies: Buffer[]): Figures {
  return {
    files: bodies.length,
    raw: bodies.reduce((sum, body) => sum + body.length, 0),
    gzip: bodies.reduce((sum, body) => sum + gzipSync(body, { level: 9 }).length, 0),
  };
}

const LCP_RUNS = 5;
const kb = (bytes: number) => (bytes / 1000).toFixed(0).padStart(5);

export function printTable(title: string, rows: [string, Figures][]): void {
  console.log(`\n${title}`);
  console.log("| page | files | raw KB | gzip KB |\n|---|---|---|---|");
  for (const [page, f] of rows) console.log(`| \`${page}\` | ${f.files} | ${kb(f.raw)} | ${kb(f.gzip)} |`);
}

/** Same-origin scripts a page loads in a fresh context until the network is idle. */
export async function pageScripts(
  browser: Browser,
  origin: string,
  pathname: string,
  storageState?: StorageState,
): Promise<Figures> {
  const context = await browser.newContext(storageState ? { storageState } : {});
  try {
    const page = await context.newPage();
    const bodies: Promise<Buffer>[] = [];
    page.on("response", (response) => {
      if (response.request().resourceType() === "script" && response.url().startsWith(origin)) {
        bodies.push(response.body());
      }
    });
    await page.goto(`${origin}${pathname}`, { waitUntil: "networkidle" });
    if (new URL(page.url()).pathname !== pathname) throw new Error(`${pathname} redirected to ${page.url()}`);
    return figures(await Promise.all(bodies));
  } finally {
    await context.close();
  }
}

/**
 * The dashboard's Largest Contentful Paint in a fresh (cold-cache) context, median of LCP_RUNS:
 * the browser's own `largest-contentful-paint` entry, read once the page is idle.
 */
export async function dashboardLcp(browser: Browser, origin: string, storageState: StorageState): Promise<number[]> {
  const samples: number[] = [];
  for (let run = 0; run < LCP_RUNS; run += 1) {
    const context = await browser.newContext({ storageState });
    try {
      const page = await context.newPage();
      await page.goto(`${origin}/dashboard`, { waitUntil: "networkidle" });
      await page.getByTestId("dashboard").waitFor();
      const lcp = await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            new PerformanceObserver((list) => {
              const entries = list.getEntries();
              resolve(entries[entries.length - 1]!.startTime);
            }).observe({ type: "largest-contentful-paint", buffered: true });
          }),
      );
      samples.push(lcp);
    } finally {
      await context.close();
    }
  }
  return samples.sort((a, b) => a - b);
}

/**
 * A production build of connected mode in a temporary copy of the project (the project's `.next` is
 * untouched): a new directory, or `into`, emptied first.
 */
export function buildConnected(into?: string): { dir: string; env: NodeJS.ProcessEnv; remove: () => void } {
  const root = process.cwd();
  if (into !== undefined) rmSync(into, { recursive: true, force: true });
  const dir = into ?? mkdtempSync(path.join(tmpdir(), "bench-connected-"));
  const skip = new Set(["node_modules", ".next", ".git", ".offline", "test-results", "playwright-report"]);
  cpSync(root, dir, {
    recursive: true,
    filter: (source) => !skip.has(path.relative(root, source).split(path.sep)[0]!),
  });
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  const env = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: "1",
    // A production key (pk_live_ + base64 of "<frontend API host>$") for a domain nobody serves:
    // well-formed, so the build and Clerk's middleware accept it; nothing is ever fetched from it.
    NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_live_${Buffer.from("clerk.example.invalid$").toString("base64")}`,
    CLERK_SECRET_KEY: "sk_live_bench",
    NEXT_PUBLIC_CONVEX_URL: "http://127.0.0.1:3210",
    NEXT_PUBLIC_AUTH_MODE: "clerk",
  };
  console.log(`(building connected mode in ${dir})`);
  const build = spawnSync("npx", ["next", "build", "--no-lint"], {
    cwd: dir,
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (build.status !== 0) throw new Error("the connected build failed");
  return { dir, env, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The scripts a page's HTML loads, from the build's app manifest: the union over the page and its
 * layouts (modern browsers skip the polyfills).
 */
export function manifestScripts(distDir: string, pageEntry: string): Figures {
  const manifest = JSON.parse(readFileSync(path.join(distDir, "app-build-manifest.json"), "utf8")) as {
    pages: Record<string, string[]>;
  };
  const segments = pageEntry.split("/").slice(1, -1);
  const entries = [];
  for (let depth = 0; depth <= segments.length; depth += 1) {
    const layout = `/${segments.slice(0, depth).join("/")}${depth > 0 ? "/" : ""}layout`;
    if (manifest.pages[layout]) entries.push(layout);
  }
  entries.push(pageEntry);
  const files = new Set<string>();
  for (const entry of entries) {
    const list = manifest.pages[entry];
    if (!list) throw new Error(`${pageEntry}: no ${entry} in the build manifest`);
    for (const file of list) if (file.endsWith(".js") && !file.includes("polyfill")) files.add(file);
  }
  return figures([...files].map((file) => readFileSync(path.join(distDir, file))));
}

/** The pages anyone can open. */
export const PUBLIC_PAGES = ["/", "/docs", "/sign-in"];

/** The app pages, by URL and by their build-manifest entry. */
export const APP_PAGES: [string, string][] = [
  ["/dashboard", "/(workspace)/(app)/dashboard/page"],
  ["/projects", "/(workspace)/(app)/projects/page"],
  ["/projects/[projectId]", "/(workspace)/(app)/projects/[projectId]/page"],
  ["/activity", "/(workspace)/(app)/activity/page"],
  ["/members", "/(workspace)/(app)/members/page"],
  ["/usage", "/(workspace)/(app)/usage/page"],
];

export async function startNext(dir: string, port: number, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn("npx", ["next", "start", "-p", String(port)], { cwd: dir, env, stdio: "ignore", detached: true });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`http://localhost:${port}/`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`next start did not answer on port ${port} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function stopNext(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch {
    // already gone
  }
}
