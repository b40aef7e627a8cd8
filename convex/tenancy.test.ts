import { describe, expect, it } from "vitest";
import { callByName } from "../tests/convex/call";
import { FUNCTION_CASES } from "../tests/convex/cases";
import { containsAny, discoverPublicFunctions } from "../tests/convex/discovery";
import { seedWorld, snapshotOrg } from "../tests/convex/fixtures";
import { modules, newBackend } from "../tests/convex/setup";

const functions = await discoverPublicFunctions(modules);

/** Fields of A's rows whose values must never reach a caller from B: ids, names, titles, emails. */
const SECRET_FIELDS = ["_id", "clerkId", "name", "slug", "email", "title", "description", "label"];

async function secretsOfA(t: ReturnType<typeof newBackend>, world: Awaited<ReturnType<typeof seedWorld>>) {
  const snapshot = await snapshotOrg(t, world.a.orgId);
  const secrets = new Set<string>();
  for (const rows of Object.values(snapshot)) {
    for (const row of rows) {
      for (const field of SECRET_FIELDS) {
        const value = row[field];
        if (typeof value === "string") secrets.add(value);
      }
    }
  }
  return secrets;
}

describe("cross-tenant harness", () => {
  it("finds the public functions by itself", () => {
    // A floor, not a list: the discovery must see at least the dashboard's functions.
    expect(functions.length).toBeGreaterThanOrEqual(22);
  });

  it.each(functions)("$name has a case, an argument validator without v.any() and a returns validator", (fn) => {
    expect(FUNCTION_CASES, `add a row for ${fn.name} to tests/convex/cases.ts`).toHaveProperty([fn.name]);
    expect(fn.args).toMatchObject({ type: "object" });
    expect(containsAny(fn.args), `${fn.name} accepts v.any()`).toBe(false);
    expect(fn.returns, `${fn.name} has no returns validator`).not.toBeNull();
  });

  it.each(functions)("$name gives a signed-out caller nothing", async (fn) => {
    const t = newBackend();
    const world = await seedWorld(t);
    const before = await snapshotOrg(t, world.a.orgId);
    const result = await callByName(t, fn.kind, fn.name, FUNCTION_CASES[fn.name]!.args(world));
    expect(result).toMatchObject({ ok: false, code: "UNAUTHENTICATED" });
    expect(await snapshotOrg(t, world.a.orgId)).toEqual(before);
  });

  it.each(functions)("$name never shows or changes organization A's data for a member of B", async (fn) => {
    const t = newBackend();
    const world = await seedWorld(t);
    const secrets = await secretsOfA(t, world);
    const before = await snapshotOrg(t, world.a.orgId);
    // The outsider is B's admin: every permission, none of them in A.
    for (const caller of [world.b.as.admin, world.b.as.member, world.b.as.viewer]) {
      const result = await callByName(caller, fn.kind, fn.name, FUNCTION_CASES[fn.name]!.args(world));
      if (result.ok) {
        const answer = JSON.stringify(result.value) ?? "";
        for (const secret of secrets) {
          expect(answer.includes(secret), `${fn.name} leaked "${secret}"`).toBe(false);
        }
      } else {
        expect(["NOT_FOUND", "FORBIDDEN", "INVALID"]).toContain(result.code);
      }
    }
    expect(await snapshotOrg(t, world.a.orgId)).toEqual(before);
  });
});
