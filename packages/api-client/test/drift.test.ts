// @vitest-environment node
/**
 * The committed client against the document the API serves: `GET /api/v1/openapi.json` answered by
 * the deployment's own HTTP router on a convex-test backend (no server needed). `openapi.json` must
 * be that document and `src/schema.ts` its types, byte for byte. On a difference, run
 * `npm run generate:api-client` (this file with `--update`) and commit both.
 */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { newBackend } from "../../../tests/convex/setup";
import { renderDocument, renderSchema } from "../src/generate";

const root = path.dirname(import.meta.dirname);
const response = await newBackend().fetch("/api/v1/openapi.json");
const served = (await response.json()) as { openapi: string; paths: Record<string, unknown> };

describe("the committed client", () => {
  test("was generated from an OpenAPI 3.1 document that lists the routes", () => {
    expect(response.status).toBe(200);
    expect(served.openapi).toBe("3.1.0");
    expect(Object.keys(served.paths)).toContain("/projects/{id}/tasks");
  });

  test("openapi.json is the document the API serves", async () => {
    await expect(await renderDocument(served, path.join(root, "openapi.json"))).toMatchFileSnapshot("../openapi.json");
  });

  test("src/schema.ts holds the types generated from it", async () => {
    await expect(await renderSchema(served, path.join(root, "src/schema.ts"))).toMatchFileSnapshot("../src/schema.ts");
  });

  test("a change to the served document is caught", async () => {
    const changed = structuredClone(served) as { paths: Record<string, Record<string, { summary?: string }>> };
    changed.paths["/projects"]!.get!.summary = "List the projects, renamed";
    const committed = await renderSchema(served, path.join(root, "src/schema.ts"));
    expect(await renderSchema(changed, path.join(root, "src/schema.ts"))).not.toBe(committed);
  });
});
