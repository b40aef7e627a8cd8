import { ConvexError } from "convex/values";
import { describe, expect, it, vi } from "vitest";

import type { Id } from "@/convex/_generated/dataModel";

import { deriveWorkspaceState, ensureKeyOf, type CurrentOrg, type WorkspaceInputs } from "./workspace-state";

const NOW = 1_800_000_000;
const ME = {
  clerkId: "user_1",
  user: { _id: "u1" as Id<"users">, name: "Ada" },
  org: { status: "active" as const, clerkId: "org_1", slug: "acme", role: "org:member" },
};
const KEY = ensureKeyOf(ME, 0)!;
const ORG = {
  _id: "o1",
  name: "Acme",
  role: "org:member",
  permissions: ["org:tasks:write"],
} as unknown as CurrentOrg;

/** A signed-in member whose workspace is ready; each test changes what it is about. */
function inputs(overrides: Partial<WorkspaceInputs> = {}): WorkspaceInputs {
  return {
    mode: "clerk",
    adapter: { isLoaded: true, isSignedIn: true, problem: null, issuer: "https://clerk.example.com", orgId: "org_1" },
    convex: { isLoading: false, isAuthenticated: true },
    probe: { token: { value: "t", error: null }, refusal: null },
    tokenWaitedTooLong: false,
    me: ME,
    orgClaimsMissing: false,
    orgClaimsSettled: false,
    ensureKey: KEY,
    ensured: { key: KEY, error: null, raw: "" },
    current: ORG,
    lastOrgName: null,
    nowSeconds: NOW,
    reload: vi.fn(),
    retryEnsure: vi.fn(),
    ...overrides,
  };
}

const state = (overrides: Partial<WorkspaceInputs> = {}) => deriveWorkspaceState(inputs(overrides));

describe("deriveWorkspaceState", () => {
  it("is ready, with the organization and its permissions, once everything answered", () => {
    const ready = state();
    expect(ready).toMatchObject({ status: "ready", org: ORG, userId: "u1" });
    if (ready.status !== "ready") throw new Error("not ready");
    expect(ready.can("org:tasks:write")).toBe(true);
    expect(ready.can("org:projects:manage")).toBe(false);
  });

  describe("before Convex holds a token", () => {
    it("waits while Convex or the provider is loading", () => {
      expect(state({ convex: { isLoading: true, isAuthenticated: false } })).toEqual({ status: "loading" });
      expect(
        state({
          convex: { isLoading: false, isAuthenticated: false },
          adapter: { ...inputs().adapter, isLoaded: false },
        }),
      ).toEqual({ status: "loading" });
    });

    it("is signed out, with the provider's reason", () => {
      expect(
        state({
          convex: { isLoading: false, isAuthenticated: false },
          adapter: { ...inputs().adapter, isSignedIn: false, problem: "The identity provider is not answering." },
        }),
      ).toEqual({ status: "signed-out", problem: "The identity provider is not answering." });
    });

    it("waits for a fresh sign-in to be confirmed, then explains a token Convex refused", () => {
      const unconfirmed = { convex: { isLoading: false, isAuthenticated: false } };
      expect(state(unconfirmed)).toEqual({ status: "loading" });
      expect(state({ ...unconfirmed, tokenWaitedTooLong: true })).toMatchObject({
        status: "auth-problem",
        diagnosis: { docs: { anchor: "convex-refused-the-token" } },
      });
      expect(
        state({ ...unconfirmed, probe: { token: { value: "t", error: null }, refusal: "No auth provider found" } }),
      ).toMatchObject({ status: "auth-problem" });
    });

    it("explains at once a provider that gave no token (no `convex` template)", () => {
      expect(
        state({
          convex: { isLoading: false, isAuthenticated: false },
          probe: { token: { value: null, error: "No JWT template exists with name: convex" }, refusal: null },
        }),
      ).toMatchObject({ status: "auth-problem", diagnosis: { cause: "no-token" } });
    });
  });

  describe("users.me", () => {
    it("waits for it, and tells a lost organization from a missing deployment from another failure", () => {
      expect(state({ me: undefined })).toEqual({ status: "loading" });
      expect(
        state({ me: new ConvexError({ code: "FORBIDDEN", message: "You are no longer a member." }) }),
      ).toMatchObject({ status: "access-lost", message: "You are no longer a member." });
      expect(
        state({ me: new Error("[CONVEX Q(users:me)] Server Error Could not find public function for 'users:me'") }),
      ).toMatchObject({ status: "auth-problem", diagnosis: { cause: "functions-missing" } });
      expect(state({ me: new Error("socket closed") })).toMatchObject({ status: "error" });
    });

    it("without an organization: none chosen, a token without organization claims, or one that was lost", () => {
      const none = { me: { ...ME, org: { status: "none" as const } } };
      expect(state({ ...none, adapter: { ...inputs().adapter, orgId: null } })).toEqual({ status: "no-org" });
      // The provider has one active: a switch on its way, then (settled) a token made without the claims.
      expect(state({ ...none, orgClaimsMissing: true })).toEqual({ status: "loading" });
      expect(state({ ...none, orgClaimsMissing: true, orgClaimsSettled: true })).toMatchObject({
        status: "auth-problem",
        diagnosis: { cause: "no-org-claims" },
      });
      expect(state({ ...none, lastOrgName: "Acme" })).toMatchObject({ status: "access-lost", orgName: "Acme" });
    });

    it("reports organization claims it cannot read, with the reason", () => {
      expect(
        state({ me: { ...ME, org: { status: "malformed", reason: "`o` claim is not an object" } } }),
      ).toMatchObject({
        status: "error",
        error: { code: "FORBIDDEN", message: expect.stringContaining("`o` claim is not an object") },
      });
    });
  });

  describe("users.ensure", () => {
    it("waits for the ensure of this identity, not one of a previous organization", () => {
      expect(state({ ensured: null })).toEqual({ status: "loading" });
      expect(state({ ensured: { key: "user_1|org_0|0", error: null, raw: "" } })).toEqual({ status: "loading" });
    });

    it("tells a refusal from a failure to provision, and retries the ensure", () => {
      const retryEnsure = vi.fn();
      expect(
        state({ ensured: { key: KEY, error: { code: "FORBIDDEN", message: "Deleted." }, raw: "Deleted." } }),
      ).toMatchObject({ status: "access-lost", message: "Deleted." });
      const failed = state({
        retryEnsure,
        ensured: { key: KEY, error: { code: null, message: "Something went wrong." }, raw: "Uncaught Error: boom" },
      });
      expect(failed).toMatchObject({ status: "auth-problem", diagnosis: { cause: "not-provisioned" } });
      if (failed.status === "auth-problem") failed.retry();
      expect(retryEnsure).toHaveBeenCalledOnce();
      expect(state({ ensured: { key: KEY, error: { code: "INVALID", message: "Bad." }, raw: "Bad." } })).toMatchObject({
        status: "error",
        error: { code: "INVALID" },
      });
    });
  });

  describe("organizations.current", () => {
    it("waits for it, and says when the rows are still missing after ensure", () => {
      expect(state({ current: undefined })).toEqual({ status: "loading" });
      expect(state({ current: null })).toMatchObject({
        status: "auth-problem",
        diagnosis: { cause: "not-provisioned" },
      });
      expect(state({ current: new ConvexError({ code: "FORBIDDEN", message: "Removed." }) })).toMatchObject({
        status: "access-lost",
      });
    });
  });

  it("keys users.ensure by the user and organization of the token Convex holds", () => {
    expect(ensureKeyOf(ME, 2)).toBe("user_1|org_1|2");
    expect(ensureKeyOf({ ...ME, org: { status: "none" } }, 0)).toBeNull();
    expect(ensureKeyOf(undefined, 0)).toBeNull();
    expect(ensureKeyOf(new Error("x"), 0)).toBeNull();
  });
});
