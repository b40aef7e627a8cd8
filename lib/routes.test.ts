import { describe, expect, it } from "vitest";

import { decideRoute, safeRedirectPath } from "./routes";

const route = (pathname: string, state: { signedIn: boolean; hasOrg: boolean }, search = "") =>
  decideRoute({ pathname, search, ...state });

const signedOut = { signedIn: false, hasOrg: false };
const noOrg = { signedIn: true, hasOrg: false };
const ready = { signedIn: true, hasOrg: true };

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

  it("never redirects to the page it was asked for (no loops)", () => {
    for (const state of [signedOut, noOrg, ready]) {
      for (const path of ["/", "/sign-in", "/sign-up", "/select-org", "/dashboard", "/projects"]) {
        const target = route(path, state);
        if (target !== null) expect(new URL(target, "http://x").pathname).not.toBe(path);
        // Following the redirect in the same state ends there.
        if (target !== null) expect(route(new URL(target, "http://x").pathname, state)).toBeNull();
      }
    }
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

  it("refuses the auth pages, and select-org when leaving select-org", () => {
    expect(safeRedirectPath("/sign-in?redirect_url=/x")).toBe("/dashboard");
    expect(safeRedirectPath("/sign-up")).toBe("/dashboard");
    expect(safeRedirectPath("/select-org", "/dashboard", { from: "select-org" })).toBe("/dashboard");
    expect(safeRedirectPath("/select-org")).toBe("/select-org");
  });
});
