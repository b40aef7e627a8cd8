/**
 * What the local Clerk stand-in (`@tenant-workspace/clerk-local`) needs to know of this app: its
 * organization roles and their permissions (the table its Clerk instance is configured with, which
 * the backend also falls back on), and the demo users and organizations of a fresh offline stack.
 * The default export is the identity provider's `--config` module.
 */
import type { DirectorySeed, IdentityProviderConfig } from "@tenant-workspace/clerk-local";
import { ROLE_PERMISSIONS } from "../convex/model/auth/permissions";

/**
 * **Acme**: Alice Johnson (admin), Ben Carter (member), Chloe Nguyen (viewer), Diego Ramirez
 * (billing). **Globex**: Erin Walsh (admin), Ben Carter (member). Sign in with any of the addresses.
 */
export const DEMO_DIRECTORY = {
  organizations: [
    { name: "Acme", slug: "acme" },
    { name: "Globex", slug: "globex" },
  ],
  users: [
    {
      first_name: "Alice",
      last_name: "Johnson",
      email_address: "alice.johnson@example.com",
      memberships: { acme: "org:admin" },
    },
    {
      first_name: "Ben",
      last_name: "Carter",
      email_address: "ben.carter@example.com",
      memberships: { acme: "org:member", globex: "org:member" },
    },
    {
      first_name: "Chloe",
      last_name: "Nguyen",
      email_address: "chloe.nguyen@example.com",
      memberships: { acme: "org:viewer" },
    },
    {
      first_name: "Diego",
      last_name: "Ramirez",
      email_address: "diego.ramirez@example.com",
      memberships: { acme: "org:billing" },
    },
    {
      first_name: "Erin",
      last_name: "Walsh",
      email_address: "erin.walsh@example.com",
      memberships: { globex: "org:admin" },
    },
  ],
} as const satisfies DirectorySeed;

/** The identity provider's configuration for this app (the tokens' `aud` stays `convex`). */
export const IDENTITY_PROVIDER_CONFIG: IdentityProviderConfig = {
  roles: ROLE_PERMISSIONS,
  seed: DEMO_DIRECTORY,
};

export default IDENTITY_PROVIDER_CONFIG;
