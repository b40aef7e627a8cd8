import type { BrowserClerk, ClerkUIConstructor, Resources } from "@clerk/shared/types";
import { describe, expect, test, vi } from "vitest";

import { authOf, ClerkBrowser, type ClerkLoader } from "./clerk-browser";

const SIGNED_OUT = { client: {}, session: null, user: null, organization: null } as unknown as Resources;

function loadedClerk(resources: Resources) {
  const load = vi.fn(async () => {});
  const clerk = {
    loaded: false,
    load,
    session: resources.session,
    addListener: (callback: (resources: Resources) => void) => {
      callback(resources);
      return () => {};
    },
  };
  return { clerk: clerk as unknown as BrowserClerk, load };
}

const noUi = new Promise<ClerkUIConstructor>(() => {});

describe("ClerkBrowser", () => {
  test("loads clerk-js once, with the app's options and the UI bundle, then follows its resources", async () => {
    const { clerk, load } = loadedClerk(SIGNED_OUT);
    const loader = vi.fn<ClerkLoader>(async () => ({ clerk, ui: noUi }));
    const browser = new ClerkBrowser({ publishableKey: "pk_test_x" }, loader);
    expect(authOf(browser.getSnapshot()).isLoaded).toBe(false);

    await Promise.all([browser.start({ signInUrl: "/sign-in" }), browser.start({ signInUrl: "/elsewhere" })]);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(loader).toHaveBeenCalledWith({ publishableKey: "pk_test_x" });
    expect(load).toHaveBeenCalledTimes(1);
    expect(load).toHaveBeenCalledWith({ signInUrl: "/sign-in", ui: { ClerkUI: noUi } });
    expect(browser.getSnapshot().status).toBe("ready");
    expect(authOf(browser.getSnapshot())).toMatchObject({ isLoaded: true, isSignedIn: false, userId: null });
    await expect(browser.getToken({ template: "convex" })).resolves.toBeNull();
  });

  test("a token waits for Clerk to load", async () => {
    const getToken = vi.fn(async () => "jwt");
    const { clerk } = loadedClerk({ ...SIGNED_OUT, session: { getToken } } as unknown as Resources);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const browser = new ClerkBrowser({ publishableKey: "pk_test_x" }, async () => {
      await gate;
      return { clerk, ui: noUi };
    });
    const token = browser.getToken({ template: "convex" });
    void browser.start({});
    await Promise.resolve();
    expect(getToken).not.toHaveBeenCalled();
    release();
    await expect(token).resolves.toBe("jwt");
    expect(getToken).toHaveBeenCalledWith({ template: "convex" });
  });

  test("when clerk-js cannot be loaded the visitor is signed out with the reason and the fix", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const browser = new ClerkBrowser({ publishableKey: "pk_test_x" }, async () => {
      throw new Error("Failed to load Clerk JS");
    });
    const changes = vi.fn();
    browser.subscribe(changes);
    await browser.start({});
    const snapshot = browser.getSnapshot();
    expect(snapshot.status).toBe("error");
    expect(snapshot.status === "error" && snapshot.message).toMatch(
      /Clerk could not be loaded \(Failed to load Clerk JS\)\..*NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY/,
    );
    expect(changes).toHaveBeenCalledTimes(1);
    expect(authOf(snapshot)).toMatchObject({ isLoaded: true, isSignedIn: false });
    expect(error).toHaveBeenCalledWith("Clerk could not be loaded: Failed to load Clerk JS");
    error.mockRestore();
  });
});
