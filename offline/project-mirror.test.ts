// @vitest-environment node
/**
 * The mirror `npm run dev` runs the real Convex CLI in (offline/project-mirror.ts): a push from it must
 * bundle this project's components, which fails when the CLI sees the functions directory through a
 * symlink ("found wrong number of app bundles"), and the URLs the CLI saves must land in the mirror.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { startOfflineConvex, type OfflineConvexServer } from "@tenant-workspace/convex-local";
import { runConvexCli } from "@tenant-workspace/convex-local/testing";
import { projectMirror } from "./project-mirror";
import { CODEGEN_ENV } from "../scripts/codegen";

const ROOT = path.resolve(import.meta.dirname, "..");
const scratch = mkdtempSync(path.join(tmpdir(), "project-mirror-"));
let server: OfflineConvexServer | undefined;

afterAll(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

it(
  "the CLI pushes the project, components included, from the mirror, and saves its URLs there",
  { timeout: 180_000 },
  async () => {
    server = await startOfflineConvex({
      dataDir: path.join(scratch, "backend"),
      port: 0,
      sitePort: 0,
      quiet: true,
      env: CODEGEN_ENV,
    });
    const mirror = projectMirror(path.join(scratch, "mirror"), ROOT);
    expect(JSON.parse(readFileSync(path.join(mirror, "convex.json"), "utf8")).functions).toBe(
      path.relative(mirror, path.join(ROOT, "convex")),
    );
    const envBefore = existsSync(path.join(ROOT, ".env.local"))
      ? readFileSync(path.join(ROOT, ".env.local"), "utf8")
      : null;
    // Code generation off: the project's own convex/_generated is not this test's to write.
    const run = await runConvexCli(["dev", "--once", "--codegen", "disable", "--typecheck", "disable"], {
      cwd: mirror,
      backend: server,
      timeoutMs: 150_000,
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("Convex functions ready!");
    expect(server.hasCode()).toBe(true);
    expect(readFileSync(path.join(mirror, ".env.local"), "utf8")).toContain(server.url);
    const envAfter = existsSync(path.join(ROOT, ".env.local"))
      ? readFileSync(path.join(ROOT, ".env.local"), "utf8")
      : null;
    expect(envAfter).toBe(envBefore);
  },
);
