import { defineConfig, devices } from "@playwright/test";

/**
 * Browser tests against a production build (`npm run build` first) on the offline stack, in Debian's
 * Chromium. The build inlines the offline stack's default URLs (127.0.0.1:3210 and :3212), so the
 * stack here runs on those ports, with its own data directory, reset on every run.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const APP_URL = "http://localhost:3000";

export default defineConfig({
  testDir: "e2e",
  // One stack and one app shared by every test: tests make their own users and projects, but run
  // one at a time so the timings they measure are not each other's.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  outputDir: "test-results",
  use: {
    ...devices["Desktop Chrome"],
    baseURL: APP_URL,
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Two pages side by side must both keep running their timers and sockets.
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
      ],
    },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  webServer: [
    {
      // Pushed with the Convex CLI, as a deployment gets it: only a push brings the Convex components
      // (convex.config.ts) the functions call; loading convex/ from disk serves the app's own modules.
      command: "node --import tsx offline/cli.ts --reset --quiet --push --data-dir .offline/e2e",
      url: "http://127.0.0.1:3210/version",
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      // Connected mode's production build (e2e/connected.spec.ts), for a made-up Clerk instance.
      command: "node --import tsx e2e/connected-server.ts",
      url: "http://localhost:3005/",
      reuseExistingServer: false,
      timeout: 300_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: "npm run start",
      // Its server reads the identity provider's API key from the stack's data directory above.
      env: { OFFLINE_IDP_API_KEY_FILE: ".offline/e2e/idp/api-key" },
      url: APP_URL,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
    },
  ],
});
