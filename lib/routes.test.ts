import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  decideRoute,
  isDocumentRequest,
  safeRedirectPath,
  selectOrgView,
  shouldRefreshInsteadOfSignIn,
} from "./routes";

const route = (pathname: string, state: { signedIn: boolean; hasOrg: boolean; pending?: boolean }, search = "") =>
  decideRoute({ pathname, search, ...state });

const signedOut = { signedIn: false, hasOrg: false };
const noOrg = { signedIn: true, hasOrg: false };
const ready = { signedIn: true, hasOrg: true };
const pendingNoOrg = { signedIn: true, hasOrg: false, pending: true };
const pendingWithOrg = { signedIn: true, hasOrg: true, pending: true };

describe("decideRoute", () => {
  it("never redirects the public pages, whoever asks", () => {
    for (const state of [signedOut, noOrg, ready]) {
      for (const path of ["/", "/sign-in", "/sign-in/factor-one", "/sign-up", "/sign-up/verify", "/docs"]) {
        expect(route(path, state)).toBeNull();
      }
    }
  });

  it("sends a signed-out visitor to sign-in, remembering the page and its query", () => {
    expect(route("/dashboard", signedOut)).toBe("/sign-in?redirect_url=%2Fdashboard");
    expect(route("/projects/abc", signedOut, "?tab=archived")).toBe(
      "/sign-in?redirect_url=%2Fprojects%2Fabc%3Ftab%3Darchived",
    );
    expect(route("/select-org", signedOut)).toBe("/sign-in?redirect_url=%2Fselect-org");
  });

  it("sends a signed-in user without an organization to select-org, then on to the page", () => {
    expect(route("/dashboard", noOrg)).toBe("/select-org?redirect_url=%2Fdashboard");
    expect(route("/select-org", noOrg)).toBeNull();
  });

  it("lets a user with an organization through", () => {
    expect(route("/dashboard", ready)).toBeNull();
    expect(route("/projects/abc", ready)).toBeNull();
    expect(route("/select-org", ready)).toBeNull();
  });

  it("sends a pending session without an organization to select-org, which shows Clerk's task", () => {
    expect(route("/dashboard", pendingNoOrg)).toBe("/select-org?redirect_url=%2Fdashboard");
    expect(route("/select-org", pendingNoOrg)).toBeNull();
  });

  it("sends a pending session with another task (reset password, MFA) to Clerk's task flow, not select-org", () => {
    expect(route("/dashboard", pendingWithOrg)).toBe("/sign-in/tasks?redirect_url=%2Fdashboard");
    expect(route("/projects/abc", pendingWithOrg, "?x=1")).toBe(
      "/sign-in/tasks?redirect_url=%2Fprojects%2Fabc%3Fx%3D1",
    );
    expect(route("/sign-in/tasks/reset-password", pendingWithOrg)).toBeNull();
  });

  it("never redirects to the page it was asked for (no loops)", () => {
    for (const state of [signedOut, noOrg, ready, pendingNoOrg, pendingWithOrg]) {
      for (const path of ["/", "/sign-in", "/sign-up", "/select-org", "/dashboard", "/projects"]) {
        const target = route(path, state);
        if (target !== null) expect(new URL(target, "http://x").pathname).not.toBe(path);
        // Following the redirect in the same state ends there.
        if (target !== null) expect(route(new URL(target, "http://x").pathname, state)).toBeNull();
      }
    }
  });
});

describe("selectOrgView", () => {
  it("shows Clerk's choose-organization task for a pending session with that task", () => {
    expect(selectOrgView({ isLoaded: true, status: "pending", currentTaskKey: "choose-organization" })).toBe(
      "choose-organization-task",
    );
  });

  it("sends a pending session with another task to Clerk's task flow", () => {
    for (const key of ["reset-password", "setup-mfa", null]) {
      expect(selectOrgView({ isLoaded: true, status: "pending", currentTaskKey: key })).toBe("other-task");
    }
  });

  it("keeps the organization list for an active session, and waits while Clerk loads", () => {
    expect(selectOrgView({ isLoaded: true, status: "active" })).toBe("organization-list");
    expect(selectOrgView({ isLoaded: true, status: null })).toBe("organization-list");
    expect(selectOrgView({ isLoaded: false })).toBe("loading");
  });
});

describe("safeRedirectPath", () => {
  it("keeps same-origin paths with their query and hash", () => {
    expect(safeRedirectPath("/projects/abc?x=1#top")).toBe("/projects/abc?x=1#top");
  });

  it("refuses other sites, protocol-relative and backslash tricks", () => {
    for (const value of ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", ""]) {
      expect(safeRedirectPath(value)).toBe("/dashboard");
    }
  });

  it("refuses paths whose dot segments leave a protocol-relative URL (/.//evil.example)", () => {
    for (const value of ["/.//evil.example", "/%2e//evil.example", "/a/..//evil.example", "/%2E%2E//evil.example/x"]) {
      expect(safeRedirectPath(value)).toBe("/dashboard");
    }
  });

  it("returns, for any string, a path on the app's own origin", () => {
    const tricky = fc.constantFrom(
      "/",
      "//",
      "/.",
      "/..",
      "/%2e",
      "/%2E",
      "\\",
      "/\\",
      "http:",
      "https://",
      ":",
      "%2f",
      "\t",
      "\n",
      "?",
      "#",
      "@",
    );
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.array(fc.oneof(tricky, fc.string({ maxLength: 6 })), { maxLength: 8 }).map((parts) => parts.join("")),
    );
    fc.assert(
      fc.property(value, (input) => {
        const result = safeRedirectPath(input);
        expect(result.startsWith("/")).toBe(true);
        // The same path resolved against any two origins stays on each: it is a path, not a URL.
        for (const origin of ["https://app.example", "http://localhost:3000"]) {
          expect(new URL(result, origin).origin).toBe(origin);
        }
      }),
      { numRuns: 5_000, seed: 14 },
    );
  });

  it("refuses the auth pages, and select-org when leaving select-org", () => {
    expect(safeRedirectPath("/sign-in?redirect_url=/x")).toBe("/dashboard");
    expect(safeRedirectPath("/sign-up")).toBe("/dashboard");
    expect(safeRedirectPath("/select-org", "/dashboard", { from: "select-org" })).toBe("/dashboard");
    expect(safeRedirectPath("/select-org")).toBe("/select-org");
  });
});

describe("an expired session cookie", () => {
  const navigation = { method: "GET", secFetchDest: "document", accept: "text/html" };
  const routerData = { method: "GET", secFetchDest: "empty", accept: "*/*" };
  const expired = { signedIn: false, browserHasSession: true };

  it("on a Next.js data request or a fetch answers 401, so the page loads again as a document", () => {
    expect(shouldRefreshInsteadOfSignIn({ ...routerData, ...expired })).toBe(true);
    expect(
      shouldRefreshInsteadOfSignIn({ method: "POST", secFetchDest: "empty", accept: "application/json", ...expired }),
    ).toBe(true);
  });

  it("on a page load goes to sign-in as usual (Clerk refreshes page loads itself before that)", () => {
    expect(shouldRefreshInsteadOfSignIn({ ...navigation, ...expired })).toBe(false);
    expect(
      shouldRefreshInsteadOfSignIn({ method: "GET", secFetchDest: null, accept: "text/html,*/*", ...expired }),
    ).toBe(false);
  });

  it("does not apply to a browser without a session", () => {
    expect(shouldRefreshInsteadOfSignIn({ ...routerData, signedIn: false, browserHasSession: false })).toBe(false);
    expect(shouldRefreshInsteadOfSignIn({ ...routerData, signedIn: true, browserHasSession: true })).toBe(false);
  });

  it("tells page loads from other requests as Clerk does", () => {
    expect(isDocumentRequest(navigation)).toBe(true);
    expect(isDocumentRequest({ method: "GET", secFetchDest: "iframe", accept: null })).toBe(true);
    expect(isDocumentRequest({ method: "POST", secFetchDest: "document", accept: "text/html" })).toBe(false);
    expect(isDocumentRequest({ method: "GET", secFetchDest: null, accept: "application/json" })).toBe(false);
    expect(isDocumentRequest(routerData)).toBe(false);
  });
});
