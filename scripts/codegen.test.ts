// @vitest-environment node
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { againstFreshBackend, copyProject } from "./codegen";

const ROOT = path.resolve(import.meta.dirname, "..");

async function generated(dir: string): Promise<Record<string, string>> {
  const folder = path.join(dir, "convex/_generated");
  const names = (await readdir(folder)).sort();
  return Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await readFile(path.join(folder, name), "utf8")])),
  );
}

describe("the Convex CLI pushing this project to a fresh local backend", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await copyProject();
    // The copy starts without generated code: everything in it afterwards comes from the push.
    await rm(path.join(dir, "convex/_generated"), { recursive: true, force: true });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    "`npx convex deploy` (with its type-check) exits 0 and writes the committed convex/_generated",
    { timeout: 240_000 },
    async () => {
      const run = await againstFreshBackend(dir, ["deploy"]);
      expect(run.output).toContain("Deployed Convex functions");
      expect(run.code, run.output).toBe(0);
      expect(await generated(dir)).toEqual(await generated(ROOT));
    },
  );
});
