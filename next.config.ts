import path from "node:path";
import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER } from "next/constants";

import { EnvError, validateEnv, type AuthMode } from "./setup/config";

/**
 * The auth mode is fixed at build time. `@/components/auth/adapter` (client: providers and auth UI) and
 * `@/lib/auth/server` (middleware and server-side token) resolve to the chosen mode's modules, so
 * the other mode's SDK is never bundled. TypeScript sees the shared contracts (`*.d.ts` beside them).
 */
const AUTH_MODULES: Record<AuthMode, { adapter: string; server: string }> = {
  clerk: { adapter: "components/auth/clerk.tsx", server: "lib/auth/clerk-server.ts" },
  offline: { adapter: "components/auth/offline.tsx", server: "lib/auth/offline-server.ts" },
};

export default function nextConfig(phase: string): NextConfig {
  const dev = phase === PHASE_DEVELOPMENT_SERVER;
  let env;
  try {
    env = validateEnv(process.env);
  } catch (error) {
    if (error instanceof EnvError) {
      // A plain message, not a stack: the variable's name and where to set it is all that matters.
      console.error(`\n✖ Invalid environment: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  if (dev) for (const note of env.notes) console.log(`  env: ${note}`);

  const modules = AUTH_MODULES[env.authMode];
  const root = import.meta.dirname;
  const absolute = (file: string) => path.join(root, file);

  return {
    reactStrictMode: true,
    // The workspace packages (packages/*) ship TypeScript sources.
    transpilePackages: ["@tenant-workspace/clerk-local", "@tenant-workspace/convex-local"],
    env: {
      NEXT_PUBLIC_AUTH_MODE: env.authMode,
      NEXT_PUBLIC_CONVEX_URL: env.convexUrl,
      NEXT_PUBLIC_OFFLINE_IDP_URL: env.offlineIdpUrl,
    },
    webpack(config: { resolve: { alias?: Record<string, string | false | string[]> } }) {
      config.resolve.alias = {
        ...config.resolve.alias,
        // Both spellings: the bare specifier, and the path Next's tsconfig-paths plugin rewrites it to.
        "@/components/auth/adapter$": absolute(modules.adapter),
        [`${absolute("components/auth/adapter")}$`]: absolute(modules.adapter),
        "@/lib/auth/server$": absolute(modules.server),
        [`${absolute("lib/auth/server")}$`]: absolute(modules.server),
      };
      return config;
    },
    turbopack: {
      resolveAlias: {
        "@/components/auth/adapter": `./${modules.adapter}`,
        "@/lib/auth/server": `./${modules.server}`,
      },
    },
  };
}
