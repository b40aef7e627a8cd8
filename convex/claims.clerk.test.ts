// @vitest-environment node
/**
 * Our claims parser against Clerk's own, over generated tokens: Clerk's JWT payload parser
 * (`@clerk/shared/jwtPayloadParser`), its auth-state rules (`resolveAuthState`, pending sessions
 * signed out) and its `has({ permission })` (`createCheckAuthorization`), all loaded from the copy
 * `@clerk/nextjs` itself uses. Ours reads the identity Convex builds from the same claims, for a
 * `domain` (OIDC) provider and for a `customJwt` provider (which flattens `o` into `o.id`, …).
 *
 * Wherever Clerk's pipeline yields a signed-in state, the two must agree on the user, the
 * organization, the role and every permission this app checks. Accepted disagreements, each
 * checked below: a token with no permission claims at all gets the role table here (Clerk grants
 * nothing), and claims of a type Clerk's own payload type does not allow (`o.rol: 5`) are refused
 * here where Clerk's parser would coerce them into strings.
 */
import fc from "fast-check";
import { createRequire } from "node:module";
import type { UserIdentity } from "convex/server";
import type { JWTPayload } from "jose";
import { describe, expect, it } from "vitest";

import { identityFromCustomJwtClaims, identityFromOidcClaims } from "@tenant-workspace/convex-local";
import { parseClaims, type ParsedClaims } from "./model/auth/claims";
import { normalizeRole, PERMISSIONS, permissionsOfRole, type Permission } from "./model/auth/permissions";

type Claims = Record<string, unknown>;
type ClerkAuthProperties = {
  userId?: unknown;
  sessionId?: unknown;
  sessionStatus?: unknown;
  orgId?: unknown;
  orgRole?: unknown;
  orgSlug?: unknown;
  orgPermissions?: unknown;
  sessionClaims?: unknown;
  actor?: unknown;
  factorVerificationAge?: unknown;
};
type ClerkAuthState = { isSignedIn?: boolean; userId?: unknown; orgId?: unknown; orgRole?: unknown } | undefined;

// The copy of @clerk/shared that @clerk/nextjs resolves, not whatever a test could import by name.
const fromClerk = createRequire(createRequire(import.meta.url).resolve("@clerk/nextjs"));
const { __experimental_JWTPayloadToAuthObjectProperties: clerkParse } = fromClerk("@clerk/shared/jwtPayloadParser") as {
  __experimental_JWTPayloadToAuthObjectProperties: (claims: Claims) => ClerkAuthProperties;
};
const { createCheckAuthorization, resolveAuthState } = fromClerk("@clerk/shared/authorization") as {
  createCheckAuthorization: (
    options: ClerkAuthProperties & { features?: unknown; plans?: unknown },
  ) => (params: { permission: string }) => boolean;
  resolveAuthState: (input: {
    authObject: ClerkAuthProperties & {
      has: (params: { permission: string }) => boolean;
      signOut: () => void;
      getToken: () => void;
    };
    options: { treatPendingAsSignedOut?: boolean };
  }) => ClerkAuthState;
};

type ClerkVerdict =
  | { kind: "failed"; why: string }
  | { kind: "signed-out" }
  | {
      kind: "signed-in";
      userId: string;
      orgId: string | null;
      orgRole: string | null;
      has: (p: Permission) => boolean;
    };

/** What Clerk's SDK makes of a token's claims, as a backend's `auth()` would. */
function clerkVerdict(claims: Claims): ClerkVerdict {
  let properties: ClerkAuthProperties;
  try {
    properties = clerkParse(claims);
  } catch (error) {
    return { kind: "failed", why: `parser threw: ${String(error)}` };
  }
  const has = createCheckAuthorization({ ...properties, features: claims.fea, plans: claims.pla });
  const state = resolveAuthState({
    authObject: { ...properties, has, signOut: () => {}, getToken: () => {} },
    options: { treatPendingAsSignedOut: true },
  });
  if (state === undefined) return { kind: "failed", why: "no auth state (e.g. an organization without a role)" };
  if (state.isSignedIn !== true) return { kind: "signed-out" };
  return {
    kind: "signed-in",
    userId: String(state.userId),
    orgId: (state.orgId as string | null) ?? null,
    orgRole: (state.orgRole as string | null) ?? null,
    has: (permission) => has({ permission }),
  };
}

/** Whether claims fit Clerk's own `JwtPayload` type (`@clerk/shared/types`, jwtv2.d.ts). */
function fitsClerkTypes(claims: Claims): boolean {
  const optionalString = (value: unknown) => value === undefined || typeof value === "string";
  if (claims.v === 2) {
    const o = claims.o;
    if (o === undefined) return optionalString(claims.fea) && optionalString(claims.pla);
    if (typeof o !== "object" || o === null || Array.isArray(o)) return false;
    const org = o as Claims;
    return (
      typeof org.id === "string" &&
      ["rol", "slg", "per", "fpm"].every((key) => optionalString(org[key])) &&
      optionalString(claims.fea) &&
      optionalString(claims.pla)
    );
  }
  return (
    ["org_id", "org_role", "org_slug"].every((key) => optionalString(claims[key])) &&
    (claims.org_permissions === undefined ||
      (Array.isArray(claims.org_permissions) && claims.org_permissions.every((p) => typeof p === "string")))
  );
}

// ---------------------------------------------------------------------------------------------
// Generated tokens: Clerk's session token v2 (`v: 2`, `o`, `fea`, `pla`) and v1 / JWT-template claims
// (`org_*`), with the edge cases that matter: masks of any length, features of every scope, empty
// and missing parts, pending sessions, and values of the wrong type.

const FEATURES = ["projects", "tasks", "usage", "billing", "reports"];
const ACTIONS = ["manage", "write", "read", "delete", ""];
const ROLE_NAMES = ["admin", "member", "viewer", "billing", "lead", "org:admin", "org:org:member"];

const orgId = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^org_[A-Za-z0-9]{4,12}$/) },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "org_a,b") },
);
const role = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...ROLE_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom("", " ") },
);
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.object({ maxDepth: 0 }),
);

/** A value, sometimes left out, sometimes (rarely) of the wrong type. */
function sometimes<T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | unknown | undefined> {
  return fc.oneof(
    { weight: 14, arbitrary: value },
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: wrongType },
  );
}

const scopedFeature = fc
  .tuple(fc.constantFrom("o", "o", "u", "ou", "uo", "x"), fc.constantFrom(...FEATURES))
  .map(([scope, feature]) => `${scope}:${feature}`);
const fea = fc.oneof(
  { weight: 8, arbitrary: fc.array(scopedFeature, { maxLength: 6 }).map((parts) => parts.join(",")) },
  {
    weight: 1,
    arbitrary: fc.array(scopedFeature, { minLength: 1, maxLength: 3 }).map((parts) => ` ${parts.join(" , ")} `),
  },
  // An element without a scope: Clerk's parser throws on it.
  { weight: 1, arbitrary: fc.constantFrom("tasks", "o:tasks,,o:usage") },
);
const per = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.array(fc.constantFrom(...ACTIONS), { minLength: 1, maxLength: 6 }).map((a) => a.join(",")),
  },
  { weight: 1, arbitrary: fc.constantFrom("", " manage , write ") },
);
const mask = fc.oneof(
  { weight: 6, arbitrary: fc.nat({ max: 255 }).map(String) },
  // Past 2^53: Clerk reads masks digit by digit, so any length must decode.
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 90n }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom("", " 3 ", "x", "-1", "1.5", "007") },
);
const fpm = fc.array(mask, { minLength: 0, maxLength: 7 }).map((masks) => masks.join(","));
const pla = fc.constantFrom("o:free", "u:free", "o:pro");
const sts = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.constant("active") },
  { weight: 2, arbitrary: fc.constant("pending") },
  { weight: 1, arbitrary: fc.constantFrom("expired", "") },
);

const v2Org = fc.record(
  {
    id: sometimes(orgId),
    rol: sometimes(role),
    slg: sometimes(fc.constantFrom("acme", "globex")),
    per: sometimes(per),
    fpm: sometimes(fpm),
  },
  { requiredKeys: [] },
);
const v2Claims = fc.record(
  {
    v: fc.constant(2),
    o: fc.oneof(
      { weight: 9, arbitrary: v2Org },
      { weight: 1, arbitrary: wrongType },
      { weight: 2, arbitrary: fc.constant(undefined) },
    ),
    fea: sometimes(fea),
    pla: sometimes(pla),
  },
  { requiredKeys: ["v"] },
);

const permissionKey = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(fc.constantFrom(...FEATURES), fc.constantFrom(...ACTIONS)).map(([f, a]) => `org:${f}:${a}`),
  },
  { weight: 1, arbitrary: fc.constantFrom("tasks:write", "org:sys_memberships:manage", "ORG:TASKS:WRITE") },
);
const v1Claims = fc.record(
  {
    v: fc.constantFrom(undefined, 1, "2"),
    org_id: sometimes(orgId),
    org_role: sometimes(role.map((r) => (r.startsWith("org:") || r === "" || r === " " ? r : `org:${r}`))),
    org_slug: sometimes(fc.constantFrom("acme", "globex")),
    org_permissions: sometimes(fc.array(permissionKey, { maxLength: 5 })),
  },
  { requiredKeys: [] },
);

const token = fc
  .tuple(fc.stringMatching(/^user_[A-Za-z0-9]{4,12}$/), sts, fc.oneof(v2Claims, v1Claims))
  .map(([sub, status, org]) => {
    const claims: Claims = {
      iss: "https://clerk.example.com",
      sub,
      sid: "sess_1",
      aud: "convex",
      iat: 1_700_000_000,
      nbf: 1_700_000_000,
      exp: 1_700_000_060,
      ...org,
      ...(status !== undefined && { sts: status }),
    };
    // A generated record may carry keys set to undefined; a JWT never does.
    return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
  });

function asIdentity(claims: Claims, provider: "oidc" | "customJwt"): UserIdentity {
  const payload = claims as JWTPayload;
  return provider === "oidc" ? identityFromOidcClaims(payload) : identityFromCustomJwtClaims(payload);
}

type Tally = {
  compared: number;
  withOrg: number;
  fallback: number;
  pending: number;
  clerkFailed: number;
  offType: number;
};

/** Ours against Clerk's for one token; throws (failing the property) on a disagreement that is not accepted. */
function compare(claims: Claims, provider: "oidc" | "customJwt", tally: Tally): void {
  const ours: ParsedClaims = parseClaims(asIdentity(claims, provider));
  const clerk = clerkVerdict(claims);
  const context = () =>
    `${provider} token ${JSON.stringify(claims)}\nClerk: ${JSON.stringify(clerk)}\nours: ${JSON.stringify(ours)}`;
  if (clerk.kind === "failed") {
    tally.clerkFailed++;
    return;
  }
  if (!fitsClerkTypes(claims)) {
    // Outside Clerk's contract: we only ask that ours never grants more than Clerk would, but for the
    // role table on a token that reached us without permission claims (a customJwt provider drops an
    // object-valued claim such as `org_permissions: {}` when it flattens the token).
    tally.offType++;
    if (ours.pending || ours.org.status !== "active" || ours.org.org.permissionsFrom === "role") return;
    for (const permission of ours.org.org.permissions) {
      if (clerk.kind !== "signed-in" || !clerk.has(permission))
        throw new Error(`ours grants ${permission}; Clerk does not\n${context()}`);
    }
    return;
  }
  tally.compared++;
  if (clerk.kind === "signed-out") {
    tally.pending++;
    expect(ours.pending, context()).toBe(true);
    return;
  }
  expect(ours.pending, context()).toBe(false);
  expect(ours.userClerkId, context()).toBe(clerk.userId);
  if (clerk.orgId === null) {
    expect(ours.org.status, context()).not.toBe("active");
    return;
  }
  tally.withOrg++;
  expect(ours.org.status, context()).toBe("active");
  if (ours.org.status !== "active") return;
  const org = ours.org.org;
  expect(org.clerkId, context()).toBe(clerk.orgId);
  expect(org.role, context()).toBe(normalizeRole(String(clerk.orgRole)));
  for (const permission of PERMISSIONS) {
    const clerkGrants = clerk.has(permission);
    const oursGrants = org.permissions.includes(permission);
    if (clerkGrants && !oursGrants) throw new Error(`Clerk grants ${permission}; ours does not\n${context()}`);
    if (oursGrants && !clerkGrants && org.permissionsFrom !== "role") {
      throw new Error(`ours grants ${permission} from the token; Clerk does not\n${context()}`);
    }
  }
  if (org.permissionsFrom === "role") {
    // The accepted disagreement: only for a token with no permission claims, and only the table's row.
    tally.fallback++;
    const o = (claims.o ?? {}) as Claims;
    const silent =
      claims.v === 2
        ? [claims.fea, claims.pla, o.per, o.fpm].every((value) => value === undefined)
        : claims.org_permissions === undefined;
    expect(silent, context()).toBe(true);
    expect(org.permissions, context()).toEqual(permissionsOfRole(org.role));
  }
}

const RUNS = 2_000;
const SEED = 20_261_202;

describe("our claims parser against Clerk's own", () => {
  it.each(["oidc", "customJwt"] as const)(
    `agrees on user, organization, role and permissions over ${RUNS} generated tokens (%s provider, seed ${SEED})`,
    (provider) => {
      const tally: Tally = { compared: 0, withOrg: 0, fallback: 0, pending: 0, clerkFailed: 0, offType: 0 };
      fc.assert(
        fc.property(token, (claims) => compare(claims, provider, tally)),
        { numRuns: RUNS, seed: SEED },
      );
      // The property is only as good as what it reached: most tokens compared, many with an organization.
      expect(tally.compared).toBeGreaterThan(RUNS * 0.5);
      expect(tally.withOrg).toBeGreaterThan(RUNS * 0.15);
      expect(tally.pending).toBeGreaterThan(RUNS * 0.05);
      expect(tally.fallback).toBeGreaterThan(10);
      expect(tally.clerkFailed).toBeGreaterThan(10);
      expect(tally.offType).toBeGreaterThan(10);
    },
  );

  it("agrees on Clerk's documented example (fea o:dashboard,o:teams; per manage,read; fpm 3,2)", () => {
    const claims = {
      sub: "user_1",
      sid: "sess_1",
      v: 2,
      fea: "o:dashboard,o:teams",
      o: { id: "org_1", rol: "admin", per: "manage,read", fpm: "3,2" },
    };
    const clerk = clerkVerdict(claims);
    expect(clerk.kind).toBe("signed-in");
    const keys = ["org:dashboard:manage", "org:dashboard:read", "org:teams:manage", "org:teams:read"];
    expect(keys.filter((key) => clerk.kind === "signed-in" && clerk.has(key as Permission))).toEqual([
      "org:dashboard:manage",
      "org:dashboard:read",
      "org:teams:read",
    ]);
  });

  describe("accepted disagreements", () => {
    it("a token with no permission claims gets the role table here; Clerk grants nothing", () => {
      const claims = { sub: "user_1", sid: "sess_1", v: 2, o: { id: "org_1", rol: "member" } };
      const clerk = clerkVerdict(claims);
      expect(clerk.kind === "signed-in" && clerk.has("org:tasks:write")).toBe(false);
      const ours = parseClaims(asIdentity(claims, "oidc"));
      expect(ours.org).toMatchObject({
        status: "active",
        org: { permissions: ["org:tasks:write"], permissionsFrom: "role" },
      });
    });

    it("a role of the wrong type is refused here; Clerk's parser turns it into a string", () => {
      const claims = {
        sub: "user_1",
        sid: "sess_1",
        v: 2,
        fea: "o:tasks",
        o: { id: "org_1", rol: 5, per: "write", fpm: "1" },
      };
      const clerk = clerkVerdict(claims);
      expect(clerk).toMatchObject({ kind: "signed-in", orgRole: "org:5" });
      expect(clerk.kind === "signed-in" && clerk.has("org:tasks:write")).toBe(true);
      expect(parseClaims(asIdentity(claims, "oidc")).org).toMatchObject({ status: "malformed" });
    });
  });

  it("signs out a pending session in both, nested and flattened", () => {
    const claims = { sub: "user_1", sid: "sess_1", v: 2, sts: "pending", o: { id: "org_1", rol: "admin" } };
    expect(clerkVerdict(claims)).toEqual({ kind: "signed-out" });
    expect(parseClaims(asIdentity(claims, "oidc")).pending).toBe(true);
    expect(parseClaims(asIdentity(claims, "customJwt")).pending).toBe(true);
  });
});
