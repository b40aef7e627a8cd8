// @vitest-environment node
/**
 * `npm run stack` (offline/cli.ts --push --cli-env --quiet): the offline stack as a self-hosted Convex
 * deployment, this project pushed to it by the real Convex CLI, and the CLI's own commands against it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runConvexCli, spawnConvexCli } from "@tenant-workspace/convex-local/testing";
import { pushProject } from "./push";
import { startOfflineStack } from "./stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");

let dataDir: string;
let stack: ChildProcess;
let stdout = "";
let backend: { url: string; adminKey: string };

const cli = (args: string[]) => runConvexCli(args, { cwd: ROOT, backend });

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "offline-stack-cli-"));
  stack = spawn(
    process.execPath,
    ["--import", "tsx", "offline/cli.ts", "--push", "--cli-env", "--quiet", "--data-dir", dataDir].concat([
      "--port",
      "0",
      "--site-port",
      "0",
      "--idp-port",
      "0",
    ]),
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  stack.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  stack.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run stack did not get ready:\n${stdout}${stderr}`)), 150_000);
    stack.on("exit", (code) => reject(new Error(`npm run stack exited (${code}):\n${stdout}${stderr}`)));
    stack.stdout!.on("data", () => {
      if (/CONVEX_SELF_HOSTED_ADMIN_KEY=.+\n/.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const value = (name: string) => new RegExp(`^${name}=(.+)$`, "m").exec(stdout)![1]!;
  backend = { url: value("CONVEX_SELF_HOSTED_URL"), adminKey: value("CONVEX_SELF_HOSTED_ADMIN_KEY") };
}, 180_000);

afterAll(async () => {
  if (stack?.exitCode === null) {
    const exited = new Promise((resolve) => stack.once("exit", resolve));
    stack.kill("SIGTERM");
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe("npm run stack", { timeout: 120_000 }, () => {
  it("prints exactly the two self-hosted variables once ready", () => {
    expect(stdout.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^CONVEX_SELF_HOSTED_URL=http:\/\/127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^CONVEX_SELF_HOSTED_ADMIN_KEY=\S+$/),
    ]);
  });

  it("`npx convex env list` shows the wiring; `env set` and `env remove` change it", async () => {
    const list = await cli(["env", "list"]);
    expect(list.code, list.output).toBe(0);
    expect(list.stdout).toMatch(/^CLERK_JWT_ISSUER_DOMAIN=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(list.stdout).toMatch(/^CLERK_WEBHOOK_SECRET=whsec_/m);

    expect((await cli(["env", "set", "API_CORS_ORIGINS", "http://localhost:8081"])).code).toBe(0);
    expect((await cli(["env", "get", "API_CORS_ORIGINS"])).stdout.trim()).toBe("http://localhost:8081");
    expect((await cli(["env", "remove", "API_CORS_ORIGINS"])).code).toBe(0);
    expect((await cli(["env", "list"])).stdout).not.toContain("API_CORS_ORIGINS");
  });

  it("`npx convex run` runs internal functions, and public ones as a signed-out caller or as a given identity", async () => {
    const ids = await cli([
      "run",
      "httpApi:normalizeIds",
      JSON.stringify({ ids: [{ table: "projects", id: "nope" }] }),
    ]);
    expect(ids.code, ids.output).toBe(0);
    expect(JSON.parse(ids.stdout)).toEqual([false]);
    // Starts the pruning on the work pool; for its null answer the CLI prints nothing.
    const pruned = await cli(["run", "clerkWebhook:prune"]);
    expect(pruned.code, pruned.output).toBe(0);
    expect(pruned.stdout.trim()).toBe("");

    const signedOut = await cli(["run", "users:me"]);
    expect(signedOut.code).not.toBe(0);
    expect(signedOut.output).toContain("UNAUTHENTICATED");
    const identity = {
      subject: "user_cli",
      issuer: "https://issuer.example",
      tokenIdentifier: "https://issuer.example|user_cli",
    };
    const asUser = await cli(["run", "users:me", "--identity", JSON.stringify(identity)]);
    expect(asUser.code, asUser.output).toBe(0);
    expect(JSON.parse(asUser.stdout)).toMatchObject({ clerkId: "user_cli", user: null, org: { status: "none" } });
  });

  it("creates the demo data after the push (`npx convex data projects`)", async () => {
    const projects = await cli(["data", "projects"]);
    expect(projects.code, projects.output).toBe(0);
    for (const name of ["Website relaunch", "Mobile app", "Quarterly planning"])
      expect(projects.stdout).toContain(name);
  });

  it("`npx convex logs --success` shows executions as they happen", async () => {
    const logs = spawnConvexCli(["logs", "--success"], { cwd: ROOT, backend });
    try {
      const deadline = Date.now() + 60_000;
      while (!/Watching logs/i.test(logs.output()) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      // `convex logs` skips whatever its first poll finds (history): run again until an execution shows.
      while (!logs.output().includes("clerkWebhook:prune") && Date.now() < deadline) {
        expect((await cli(["run", "clerkWebhook:prune"])).code).toBe(0);
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(logs.output()).toContain("clerkWebhook:prune");
    } finally {
      logs.child.kill("SIGTERM");
      await logs.done;
    }
  });
});

describe("the stack under npm run dev (code: external)", { timeout: 180_000 }, () => {
  it("serves at once, and creates the demo data after someone else's first push", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "offline-stack-external-"));
    const stack = await startOfflineStack({
      dataDir: dir,
      convexPort: 0,
      sitePort: 0,
      idpPort: 0,
      quiet: true,
      code: "external",
    });
    try {
      let ready = false;
      const settled = stack.ready.then(() => (ready = true));
      expect(stack.convex.hasCode()).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ready).toBe(false);
      await pushProject(stack.convex);
      await settled;
      const projects = await runConvexCli(["data", "projects"], { cwd: ROOT, backend: stack.convex });
      expect(projects.stdout).toContain("Website relaunch");
    } finally {
      await stack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
