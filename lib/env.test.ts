import { afterEach, describe, expect, it, vi } from "vitest";

import { DEFAULT_OFFLINE_CONVEX_URL, DEFAULT_OFFLINE_IDP_URL, EnvError, showsSetupDetails, validateEnv } from "./env";

const clerk = {
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k",
  CLERK_SECRET_KEY: "sk_test_x",
  NEXT_PUBLIC_CONVEX_URL: "https://happy-animal-123.convex.cloud",
};

describe("validateEnv", () => {
  it("runs offline with nothing configured, on the offline stack's default addresses", () => {
    expect(validateEnv({})).toMatchObject({
      authMode: "offline",
      convexUrl: DEFAULT_OFFLINE_CONVEX_URL,
      offlineIdpUrl: DEFAULT_OFFLINE_IDP_URL,
    });
  });

  it("picks Clerk when its publishable key is set", () => {
    expect(validateEnv(clerk)).toMatchObject({ authMode: "clerk", convexUrl: clerk.NEXT_PUBLIC_CONVEX_URL });
  });

  it("names the missing variable when connected mode is incomplete", () => {
    expect(() => validateEnv({ ...clerk, CLERK_SECRET_KEY: "" })).toThrow(/CLERK_SECRET_KEY/);
    expect(() => validateEnv({ ...clerk, NEXT_PUBLIC_CONVEX_URL: undefined })).toThrow(/NEXT_PUBLIC_CONVEX_URL/);
    expect(() => validateEnv({ NEXT_PUBLIC_AUTH_MODE: "clerk" })).toThrow(EnvError);
  });

  it("refuses the HTTP-actions URL in place of the client URL", () => {
    expect(() => validateEnv({ ...clerk, NEXT_PUBLIC_CONVEX_URL: "https://happy-animal-123.convex.site" })).toThrow(
      /\.convex\.cloud/,
    );
  });
});

describe("showsSetupDetails", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("explains setup problems in development and in offline builds, not to a connected production app's users", () => {
    const cases = [
      { NODE_ENV: "development", NEXT_PUBLIC_AUTH_MODE: "clerk", expected: true },
      { NODE_ENV: "production", NEXT_PUBLIC_AUTH_MODE: "offline", expected: true },
      { NODE_ENV: "production", NEXT_PUBLIC_AUTH_MODE: "clerk", expected: false },
    ];
    for (const { NODE_ENV, NEXT_PUBLIC_AUTH_MODE, expected } of cases) {
      vi.stubEnv("NODE_ENV", NODE_ENV);
      vi.stubEnv("NEXT_PUBLIC_AUTH_MODE", NEXT_PUBLIC_AUTH_MODE);
      expect(showsSetupDetails()).toBe(expected);
    }
  });
});
