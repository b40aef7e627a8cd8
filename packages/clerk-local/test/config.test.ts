// @vitest-environment node
// What an app configures: its roles and permissions, its seed directory and the tokens' audience.
// A table or seed the provider cannot honour fails the start and leaves nothing half-made behind.
import { existsSync } from "node:fs";
import path from "node:path";
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { startIdentityProvider, type IdentityProviderOptions } from "../src/index";
import { call, tempDataDir } from "../src/testing";
import { ROLES, SEED } from "./fixture";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function dataDir(): string {
  const data = tempDataDir();
  cleanups.push(data.remove);
  return data.dir;
}

async function run(dir: string, options: IdentityProviderOptions = {}) {
  const idp = await startIdentityProvider({ port: 0, dataDir: dir, quiet: true, ...options });
  cleanups.push(idp.close);
  return idp;
}

describe("without configuration", () => {
  it("starts with an empty directory and Clerk's default roles, admin and member", async () => {
    const idp = await run(dataDir());
    expect(idp.directory.listUsers()).toEqual([]);
    const user = idp.directory.createUser({ email_address: "solo@example.com" });
    const org = idp.directory.createOrganization({ name: "Solo", created_by: user.id });
    const other = idp.directory.createUser({ email_address: "other@example.com" });
    expect(() => idp.directory.addMember(org.id, { user_id: other.id, role: "viewer" })).toThrow(
      /"viewer" is not a role of this app: one of org:admin, org:member/,
    );
    expect(idp.directory.addMember(org.id, { user_id: other.id, role: "member" }).role).toBe("org:member");
    // No custom permissions: the token names the organization and role only.
    const session = idp.sessions.create({ user_id: user.id });
    const claims = decodeJwt(await idp.sessions.token(session.id));
    expect(claims).toMatchObject({ aud: "convex", o: { id: org.id, rol: "admin", slg: "solo" } });
    expect(claims.fea).toBeUndefined();
  });
});

describe("roles", () => {
  it.each<[string, Record<string, string[]>, RegExp]>([
    ["a table without org:admin", { "org:member": [] }, /must include org:admin/],
    ["a role without the org: prefix", { "org:admin": [], member: [] }, /"member" is not a Clerk role key/],
    [
      "a permission that is not org:<feature>:<action>",
      { "org:admin": ["projects:manage"] },
      /not org:<feature>:<action>/,
    ],
  ])("refuses %s before writing anything", async (_what, roles, message) => {
    const dir = dataDir();
    await expect(run(dir, { roles })).rejects.toThrow(message);
    expect(existsSync(path.join(dir, "state.json"))).toBe(false);
  });

  it("encode a custom role's permissions as Clerk does, features in the order first granted", async () => {
    const idp = await run(dataDir(), {
      roles: { "org:admin": [], "org:editor": ["org:docs:write", "org:docs:read", "org:comments:write"] },
      seed: {
        organizations: [{ name: "Docs", slug: "docs" }],
        users: [
          {
            first_name: "Ada",
            last_name: "Admin",
            email_address: "ada@example.com",
            memberships: { docs: "org:admin" },
          },
          {
            first_name: "Ed",
            last_name: "Editor",
            email_address: "ed@example.com",
            memberships: { docs: "org:editor" },
          },
        ],
      },
    });
    const session = idp.sessions.create({ email_address: "ed@example.com" });
    const claims = decodeJwt(await idp.sessions.token(session.id));
    // Actions write=bit 0, read=bit 1: docs grants both (3), comments write only (1).
    expect(claims).toMatchObject({ fea: "o:docs,o:comments", o: { rol: "editor", per: "write,read", fpm: "3,1" } });
  });
});

describe("the seed", () => {
  it("is created once, on the first start", async () => {
    const dir = dataDir();
    const first = await run(dir, { roles: ROLES, seed: SEED });
    expect(first.fresh).toBe(true);
    expect(first.directory.listUsers()).toHaveLength(SEED.users.length);
    await first.close();
    const second = await run(dir, { roles: ROLES, seed: SEED });
    expect(second.fresh).toBe(false);
    expect(second.directory.listUsers()).toHaveLength(SEED.users.length);
  });

  it.each<[string, IdentityProviderOptions, RegExp]>([
    ["a role the table does not have", { seed: SEED }, /"org:viewer" is not a role of this app/],
    [
      "an organization nobody administers",
      {
        roles: ROLES,
        seed: {
          organizations: [{ name: "X", slug: "x" }],
          users: [{ ...SEED.users[1]!, memberships: { x: "org:member" } }],
        },
      },
      /Seed organization x has no member with the role org:admin/,
    ],
    [
      "a membership of an unknown organization",
      { roles: ROLES, seed: { organizations: [], users: [SEED.users[0]!] } },
      /unknown organizations: acme/,
    ],
  ])("with %s fails the start, and the next start seeds afresh", async (_what, options, message) => {
    const dir = dataDir();
    await expect(run(dir, options)).rejects.toThrow(message);
    const next = await run(dir, { roles: ROLES, seed: SEED });
    expect(next.fresh).toBe(true);
    expect(next.directory.listUsers()).toHaveLength(SEED.users.length);
  });
});

describe("the audience", () => {
  it("is what normal tokens carry, and what DELETE /token-settings restores", async () => {
    const idp = await run(dataDir(), { roles: ROLES, seed: SEED, audience: "my-api" });
    const session = idp.sessions.create({ email_address: "alice.johnson@example.com" });
    expect(decodeJwt(await idp.sessions.token(session.id)).aud).toBe("my-api");
    await call(idp, "PATCH", "/token-settings", { audience: "elsewhere" });
    expect(decodeJwt(await idp.sessions.token(session.id)).aud).toBe("elsewhere");
    const restored = await call(idp.url, "DELETE", "/token-settings");
    expect(restored.json.default).toEqual({ audience: "my-api", organization_claims: true });
    expect(decodeJwt(await idp.sessions.token(session.id)).aud).toBe("my-api");
  });
});
