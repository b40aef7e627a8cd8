/**
 * The service's configuration: offline defaults that are the offline stack's own, and a connected
 * configuration that must be complete, with every problem named at once.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { DEFAULT_OFFLINE_CONVEX_URL, DEFAULT_OFFLINE_IDP_URL, resolveConvexSiteUrl } from "../../../setup/config";
import { ConfigError, OFFLINE_DEFAULTS, readConfig, VARIABLES } from "../src/config";

const PEM = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBg…\n-----END PUBLIC KEY-----";

describe("readConfig", () => {
  test("with nothing set, runs against the offline stack's identity provider and backend", () => {
    expect(OFFLINE_DEFAULTS.issuer).toBe(DEFAULT_OFFLINE_IDP_URL);
    expect(OFFLINE_DEFAULTS.siteUrl).toBe(
      resolveConvexSiteUrl({ NEXT_PUBLIC_CONVEX_URL: DEFAULT_OFFLINE_CONVEX_URL })?.url,
    );
    expect(readConfig({})).toEqual({
      mode: "offline",
      issuer: DEFAULT_OFFLINE_IDP_URL,
      key: { kind: "jwks", url: `${DEFAULT_OFFLINE_IDP_URL}/.well-known/jwks.json` },
      authorizedParties: ["http://localhost:3000", "http://127.0.0.1:3000"],
      apiUrl: "http://127.0.0.1:3211/api/v1",
      port: 3213,
      host: "127.0.0.1",
    });
  });

  test("connected: the issuer, a PEM key with escaped line breaks, the parties and the site URL", () => {
    const config = readConfig({
      CLERK_JWT_ISSUER_DOMAIN: "https://clerk.example.com/",
      CLERK_JWT_KEY: PEM.replace(/\n/g, "\\n"),
      EXPORT_AUTHORIZED_PARTIES: "https://app.example.com, https://admin.example.com",
      CONVEX_SITE_URL: "https://happy-animal-123.convex.site/",
    });
    expect(config).toMatchObject({
      mode: "connected",
      issuer: "https://clerk.example.com",
      key: { kind: "pem", pem: PEM },
      authorizedParties: ["https://app.example.com", "https://admin.example.com"],
      apiUrl: "https://happy-animal-123.convex.site/api/v1",
    });
  });

  test("connected without the rest names every missing variable", () => {
    const attempt = () => readConfig({ CLERK_JWT_ISSUER_DOMAIN: "https://clerk.example.com" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/EXPORT_AUTHORIZED_PARTIES is not set[\s\S]*CONVEX_SITE_URL is not set/);
  });

  test("refuses origins with paths, two key sources, and offline defaults in production", () => {
    expect(() =>
      readConfig({
        CLERK_JWT_ISSUER_DOMAIN: "https://clerk.example.com",
        CLERK_JWT_KEY: PEM,
        CLERK_JWKS_URL: "https://clerk.example.com/.well-known/jwks.json",
        EXPORT_AUTHORIZED_PARTIES: "https://app.example.com/dashboard",
        CONVEX_SITE_URL: "https://happy-animal-123.convex.site",
      }),
    ).toThrow(/not both[\s\S]*is not an origin/);
    expect(() => readConfig({ NODE_ENV: "production" })).toThrow(/offline defaults are refused/);
  });
});

test("every variable it reads is documented in going-live, .env.example and its README", () => {
  const documents = ["docs/going-live.md", ".env.example", "services/export/README.md"].map((file) => [
    file,
    readFileSync(file, "utf8"),
  ]);
  const missing = Object.keys(VARIABLES).flatMap((name) =>
    documents.filter(([, text]) => !text!.includes(name)).map(([file]) => `${name} in ${file}`),
  );
  expect(missing).toEqual([]);
});
