// @vitest-environment node
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { copyProject, tsc, writeDeploymentCodegen } from "./deployment-codegen";

describe("convex/ against the codegen of a push to a deployment", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await copyProject();
    await writeDeploymentCodegen(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gets the typed env and the components export the CLI writes", async () => {
    const server = await readFile(path.join(dir, "convex/_generated/server.d.ts"), "utf8");
    expect(server).toMatch(/export declare const env: Env;/);
    expect(server).toMatch(/CONVEX_SITE_URL: string/);
    expect(server).not.toMatch(/CLERK_WEBHOOK_SECRET/);
    expect(await readFile(path.join(dir, "convex/_generated/api.d.ts"), "utf8")).toMatch(
      /export declare const components: \{\};/,
    );
  });

  it("type-checks, as the CLI does before it finishes a push", () => {
    const result = tsc(dir, "convex");
    expect(result.output).toBe("");
    expect(result.ok).toBe(true);
  });

  it("would stop a push that reads an undeclared variable from the generated env", async () => {
    const probe = path.join(dir, "convex/model/envProbe.ts");
    await writeFile(
      probe,
      'import { env } from "../_generated/server";\nexport const secret = env.CLERK_WEBHOOK_SECRET;\n',
    );
    try {
      const result = tsc(dir, "convex");
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/Property 'CLERK_WEBHOOK_SECRET' does not exist on type 'Env'/);
    } finally {
      await rm(probe);
    }
  });
});
