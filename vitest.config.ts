import { defineConfig } from "vitest/config";

export default defineConfig({
  // The app's `@/…` imports (tsconfig.json paths), as Next.js resolves them.
  resolve: {
    alias: [
      // next.config.ts points these at the build's auth mode; tests run the offline one (and mostly mock it).
      { find: /^@\/lib\/auth\/server$/, replacement: `${import.meta.dirname}/lib/auth/offline-server.ts` },
      { find: /^@\/components\/auth\/adapter$/, replacement: `${import.meta.dirname}/components/auth/offline.tsx` },
      { find: /^@\//, replacement: `${import.meta.dirname}/` },
    ],
  },
  // tsconfig.json leaves JSX to Next.js ("preserve"); tests that render components need it compiled.
  oxc: { jsx: { runtime: "automatic" } },
  test: {
    // Unit suites only; Playwright's browser tests in e2e/ have their own runner.
    include: [
      "convex/**/*.test.ts",
      "components/**/*.test.{ts,tsx}",
      "lib/**/*.test.ts",
      "offline/**/*.test.ts",
      "setup/**/*.test.ts",
      "hooks/**/*.test.ts",
      "scripts/**/*.test.ts",
      "packages/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "services/*/src/**/*.test.ts",
      "services/*/test/**/*.test.ts",
    ],
    environment: "edge-runtime",
    // Component tests (happy-dom): scripts a component renders, e.g. Clerk's from its CDN, are not fetched.
    environmentOptions: { happyDOM: { settings: { handleDisabledFileLoadingAsSuccess: true } } },
    // The workspace packages ship TypeScript sources: transform them like the app's own files. Convex's
    // components ship code for bundlers (imports without extensions), which the offline stack loads
    // from disk when it runs in a test: transform them too, as the CLI's bundler and tsx resolve them.
    server: { deps: { inline: ["convex-test", /@tenant-workspace\//, /@convex-dev\//] } },
    env: {
      // auth.config.ts refuses to load without it; convex-test itself never verifies tokens.
      CLERK_JWT_ISSUER_DOMAIN: "https://test.clerk.example",
      // The Standard Webhooks test vector's secret; tests that need it missing stub it away.
      CLERK_WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    },
    testTimeout: 30_000,
    // The work pool's periodic report (a log line for monitoring on a deployment) on every loop.
    onConsoleLog: (log) => !log.includes('"component":"workpool","event":"report"'),
    hookTimeout: 120_000,
  },
});
