import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";

import {
  CONNECTED_VARS,
  DEFAULT_OFFLINE_CONVEX_URL,
  DEFAULT_OFFLINE_IDP_URL,
  EnvError,
  convexSiteUrl,
  devModeProblem,
  offlineIdpApiKeyFile,
  resolveConvexSiteUrl,
  resolveDevMode,
  showsSetupDetails,
  validateEnv,
} from "./config";

const clerk = {
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k",
  CLERK_SECRET_KEY: "sk_test_x",
  NEXT_PUBLIC_CONVEX_URL: "https://happy-animal-123.convex.cloud",
};
const cloud = { ...clerk, CONVEX_DEPLOYMENT: "dev:happy-animal-123" };
/** The open-source Convex backend, as `npx convex dev` leaves .env.local for it. */
const selfHosted = {
  ...clerk,
  CONVEX_SELF_HOSTED_URL: "http://convex.internal:3210",
  CONVEX_SELF_HOSTED_ADMIN_KEY: "convex-self-hosted|0123456789abcdef",
  NEXT_PUBLIC_CONVEX_URL: "http://convex.internal:3210",
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

  it("accepts a self-hosted backend's client URL on any host and port", () => {
    for (const url of ["http://convex.internal:3210", "http://10.0.0.5:8000", "https://convex.example.com"]) {
      expect(validateEnv({ ...selfHosted, NEXT_PUBLIC_CONVEX_URL: url })).toMatchObject({
        authMode: "clerk",
        convexUrl: url,
      });
    }
  });

  it("refuses a site URL that is malformed or a .convex.cloud client URL, naming the variable", () => {
    expect(() => validateEnv({ ...clerk, NEXT_PUBLIC_CONVEX_SITE_URL: "happy-animal-123.convex.site" })).toThrow(
      /^NEXT_PUBLIC_CONVEX_SITE_URL is not a valid URL/,
    );
    expect(() => validateEnv({ ...clerk, CONVEX_SITE_URL: "https://happy-animal-123.convex.cloud" })).toThrow(
      /^CONVEX_SITE_URL points at a client URL \(\.convex\.cloud\)/,
    );
    expect(
      validateEnv({ ...clerk, NEXT_PUBLIC_CONVEX_SITE_URL: "https://happy-animal-123.convex.site" }).authMode,
    ).toBe("clerk");
  });
});

describe("resolveDevMode (the rule scripts/dev.mjs and npm run doctor apply)", () => {
  it("is offline with none of the connected variables, whatever else is set", () => {
    expect(resolveDevMode({})).toEqual({ mode: "offline" });
    expect(resolveDevMode({ NEXT_PUBLIC_CONVEX_SITE_URL: "https://x.convex.site", CONVEX_DEPLOYMENT: " " })).toEqual({
      mode: "offline",
    });
  });

  it("is connected with CONVEX_DEPLOYMENT, or with a self-hosted backend instead, and the Clerk keys", () => {
    expect(resolveDevMode(cloud)).toEqual({ mode: "connected", deployment: "deployment" });
    expect(resolveDevMode(selfHosted)).toEqual({ mode: "connected", deployment: "self-hosted" });
  });

  it("names what half a configuration lacks, for the configuration it has begun", () => {
    expect(resolveDevMode({ ...cloud, CLERK_SECRET_KEY: "" })).toEqual({
      mode: "partial",
      deployment: "deployment",
      set: ["CONVEX_DEPLOYMENT", "NEXT_PUBLIC_CONVEX_URL", "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY"],
      missing: ["CLERK_SECRET_KEY"],
    });
    expect(resolveDevMode({ ...selfHosted, CONVEX_SELF_HOSTED_ADMIN_KEY: undefined })).toMatchObject({
      mode: "partial",
      deployment: "self-hosted",
      missing: ["CONVEX_SELF_HOSTED_ADMIN_KEY"],
    });
    const clerkOnly = resolveDevMode(clerk);
    expect(clerkOnly).toMatchObject({ mode: "partial", deployment: "deployment", missing: ["CONVEX_DEPLOYMENT"] });
    if (clerkOnly.mode !== "partial") throw new Error("unreachable");
    // Both ways to finish it are named.
    expect(devModeProblem(clerkOnly).fix).toBe(
      "set CONVEX_DEPLOYMENT in .env.local (see .env.example) (for a self-hosted Convex backend: CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY instead of CONVEX_DEPLOYMENT), " +
        "or remove NEXT_PUBLIC_CONVEX_URL, NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY, CLERK_SECRET_KEY to run offline",
    );
  });

  it("refuses CONVEX_DEPLOYMENT with any self-hosted variable, as the Convex CLI does", () => {
    expect(resolveDevMode({ ...selfHosted, CONVEX_DEPLOYMENT: "dev:happy-animal-123" })).toEqual({
      mode: "conflict",
      set: ["CONVEX_DEPLOYMENT", "CONVEX_SELF_HOSTED_URL", "CONVEX_SELF_HOSTED_ADMIN_KEY"],
    });
    expect(resolveDevMode({ ...cloud, CONVEX_SELF_HOSTED_URL: "http://127.0.0.1:3210" })).toEqual({
      mode: "conflict",
      set: ["CONVEX_DEPLOYMENT", "CONVEX_SELF_HOSTED_URL"],
    });
  });

  it("is what `npm run dev` applies: it stops on half or two configurations with the same message", () => {
    const { dev } = (
      JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
        scripts: { dev: string };
      }
    ).scripts;
    const [command = "", ...args] = dev.split(" ");
    // Every connected variable given (empty = unset), so a developer's .env.local cannot fill any in.
    const unset = Object.fromEntries(
      [...CONNECTED_VARS.deployment, ...CONNECTED_VARS["self-hosted"]].map((name) => [name, ""]),
    );
    for (const env of [
      { ...unset, CLERK_SECRET_KEY: "sk_test_x" },
      { ...unset, CONVEX_SELF_HOSTED_URL: "http://127.0.0.1:3210" },
      { ...unset, ...selfHosted, CONVEX_DEPLOYMENT: "dev:happy-animal-123" },
    ]) {
      const mode = resolveDevMode(env);
      if (mode.mode !== "partial" && mode.mode !== "conflict") throw new Error(`expected a problem, got ${mode.mode}`);
      const { message, fix } = devModeProblem(mode);
      const result = spawnSync(command, args, {
        cwd: new URL("..", import.meta.url),
        env: { NODE_ENV: "test", PATH: process.env.PATH, ...env },
        encoding: "utf8",
      });
      expect(result.stderr).toBe(`dev: ${message}. Fix: ${fix}; the README's "Going live" has the steps.\n`);
      expect(result.status).toBe(1);
    }
  });
});

describe("the HTTP-actions (site) URL", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("prefers CONVEX_SITE_URL, then NEXT_PUBLIC_CONVEX_SITE_URL, then the one derived from the client URL", () => {
    const both = {
      ...clerk,
      CONVEX_SITE_URL: "https://site.example.com/",
      NEXT_PUBLIC_CONVEX_SITE_URL: "https://hooks.example.com",
    };
    expect(resolveConvexSiteUrl(both)).toEqual({ url: "https://site.example.com", source: "CONVEX_SITE_URL" });
    expect(resolveConvexSiteUrl({ ...both, CONVEX_SITE_URL: " " })).toEqual({
      url: "https://hooks.example.com",
      source: "NEXT_PUBLIC_CONVEX_SITE_URL",
    });
    expect(resolveConvexSiteUrl(clerk)).toEqual({
      url: "https://happy-animal-123.convex.site",
      source: "convex.cloud → convex.site",
    });
  });

  it("derives a regional deployment's with its region, and a local or self-hosted one on the next port", () => {
    expect(resolveConvexSiteUrl({ NEXT_PUBLIC_CONVEX_URL: "https://happy-animal-123.eu-west-1.convex.cloud" })).toEqual(
      {
        url: "https://happy-animal-123.eu-west-1.convex.site",
        source: "convex.cloud → convex.site",
      },
    );
    expect(resolveConvexSiteUrl({ NEXT_PUBLIC_CONVEX_URL: DEFAULT_OFFLINE_CONVEX_URL })?.url).toBe(
      "http://127.0.0.1:3211",
    );
    expect(resolveConvexSiteUrl(selfHosted)).toEqual({ url: "http://convex.internal:3211", source: "next port" });
  });

  it("cannot derive a custom domain's or a self-hosted backend's without a port", () => {
    expect(resolveConvexSiteUrl({ NEXT_PUBLIC_CONVEX_URL: "https://api.example.com" })).toBeNull();
    expect(resolveConvexSiteUrl({})).toBeNull();
  });

  it("is what the /api/v1 proxy uses, and it names CONVEX_SITE_URL when it cannot derive one", () => {
    vi.stubEnv("NEXT_PUBLIC_CONVEX_URL", "https://api.example.com");
    vi.stubEnv("CONVEX_SITE_URL", "");
    vi.stubEnv("NEXT_PUBLIC_CONVEX_SITE_URL", "");
    expect(() => convexSiteUrl()).toThrow(EnvError);
    expect(() => convexSiteUrl()).toThrow(/Set CONVEX_SITE_URL in \.env\.local/);
    vi.stubEnv("NEXT_PUBLIC_CONVEX_SITE_URL", "https://hooks.example.com/");
    expect(convexSiteUrl()).toBe("https://hooks.example.com");
    vi.stubEnv("CONVEX_SITE_URL", "https://site.example.com");
    expect(convexSiteUrl()).toBe("https://site.example.com");
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

describe("the offline stack's defaults", () => {
  it("are where the two local services listen by default", async () => {
    const { DEFAULT_PORT: convexPort, DEFAULT_SITE_PORT: sitePort } = await import("@tenant-workspace/convex-local");
    const { DEFAULT_PORT: idpPort } = await import("@tenant-workspace/clerk-local");
    const { DEFAULT_DATA_DIR } = await import("../offline/stack");
    expect(DEFAULT_OFFLINE_CONVEX_URL).toBe(`http://127.0.0.1:${convexPort}`);
    expect(DEFAULT_OFFLINE_IDP_URL).toBe(`http://127.0.0.1:${idpPort}`);
    expect(resolveConvexSiteUrl({ NEXT_PUBLIC_CONVEX_URL: DEFAULT_OFFLINE_CONVEX_URL })?.url).toBe(
      `http://127.0.0.1:${sitePort}`,
    );
    expect(offlineIdpApiKeyFile({})).toBe(`${DEFAULT_DATA_DIR}/idp/api-key`);
  });
});
