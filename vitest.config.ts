import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Unit suites only; Playwright's browser tests in e2e/ have their own runner.
    include: ["convex/**/*.test.ts", "lib/**/*.test.ts", "offline/**/*.test.ts", "doctor/**/*.test.ts", "scripts/**/*.test.ts"],
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    env: {
      // auth.config.ts refuses to load without it; convex-test itself never verifies tokens.
      CLERK_JWT_ISSUER_DOMAIN: "https://test.clerk.example",
      // The Standard Webhooks test vector's secret; tests that need it missing stub it away.
      CLERK_WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    },
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
