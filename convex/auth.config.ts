import type { AuthConfig } from "convex/server";

// Clerk's Frontend API URL, e.g. https://verb-noun-00.clerk.accounts.dev (Clerk dashboard → API keys).
// Convex evaluates this file on its own when deploying, before any function module: it reads the
// variable directly, as Convex's auth configuration does, rather than through _generated/server.
// eslint-disable-next-line @convex-dev/no-process-env
const domain = process.env.CLERK_JWT_ISSUER_DOMAIN;

if (!domain) {
  throw new Error(
    "CLERK_JWT_ISSUER_DOMAIN is not set on this Convex deployment. " +
      "Set it to your Clerk Frontend API URL with " +
      "`npx convex env set CLERK_JWT_ISSUER_DOMAIN https://<your-instance>.clerk.accounts.dev` " +
      "(see README → Environment variables).",
  );
}

export default {
  providers: [
    {
      domain,
      // Clerk session tokens (and the "convex" JWT template) carry aud "convex".
      applicationID: "convex",
    },
  ],
} satisfies AuthConfig;
