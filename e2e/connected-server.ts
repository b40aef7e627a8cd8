/**
 * A production build of connected mode (a made-up Clerk instance, so nothing reaches Clerk), served
 * for the connected-mode browser tests. It is built in a copy of the project, so the offline build
 * in `.next` stays as it is; the copy's directory is reused (emptied) by the next run.
 */
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";

import { buildConnected } from "../bench/first-load";

// playwright.config.ts and e2e/connected.spec.ts expect it here.
const CONNECTED_PORT = 3005;

const build = buildConnected(path.join(tmpdir(), "e2e-connected-build"));
// In this process's group, which Playwright stops as a whole when the tests are done.
const server = spawn("npx", ["next", "start", "-p", String(CONNECTED_PORT)], {
  cwd: build.dir,
  env: build.env,
  stdio: "inherit",
});
server.on("exit", (code) => process.exit(code ?? 1));
