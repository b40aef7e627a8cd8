import { describe, expect, it } from "vitest";
import { callByName } from "../tests/convex/call";
import { CALLERS, FUNCTION_CASES, type CallerName } from "../tests/convex/cases";
import { discoverPublicFunctions } from "../tests/convex/discovery";
import { seedWorld, type World } from "../tests/convex/fixtures";
import { type Backend, modules, newBackend } from "../tests/convex/setup";

function callerFor(t: Backend, world: World, name: CallerName) {
  switch (name) {
    case "signedOut":
      return t;
    case "outsider":
      return world.b.as.admin;
    default:
      return world.a.as[name];
  }
}

const functions = await discoverPublicFunctions(modules);

describe("permission matrix", () => {
  it("has a row for every public function", () => {
    expect(Object.keys(FUNCTION_CASES).sort()).toEqual(functions.map((f) => f.name));
  });

  const cells = functions.flatMap((fn) => CALLERS.map((caller) => ({ fn, caller })));

  it.each(cells)("$fn.name as $caller", async ({ fn, caller }) => {
    const testCase = FUNCTION_CASES[fn.name];
    if (testCase === undefined) throw new Error(`No matrix row for ${fn.name}`);
    const t = newBackend();
    const world = await seedWorld(t);
    const expected = testCase.expect[caller];
    const result = await callByName(callerFor(t, world, caller), fn.kind, fn.name, testCase.args(world));
    if (expected === "ok") {
      expect(result).toMatchObject({ ok: true });
      // Mutations here return ids or null; a query answering null would mean "not visible".
      if (fn.kind === "query") expect(result.ok && result.value).not.toBeNull();
    } else if (expected === "null") {
      expect(result).toEqual({ ok: true, value: null });
    } else {
      expect(result).toMatchObject({ ok: false, code: expected });
    }
  });
});
