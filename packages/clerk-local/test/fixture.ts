/**
 * What an app configures the provider with, for the package's own tests: a role table with custom
 * permissions over three features (so the token encodings are exercised in full) and a small
 * directory of two organizations, one user in both.
 */
import type { DirectorySeed, IdentityProviderConfig, RolePermissions } from "../src/index";

export const ROLES: RolePermissions = {
  "org:admin": ["org:projects:manage", "org:tasks:write", "org:usage:read"],
  "org:member": ["org:tasks:write"],
  "org:billing": ["org:usage:read"],
  "org:viewer": [],
};

export const SEED: DirectorySeed = {
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
};

export const CONFIG: IdentityProviderConfig = { roles: ROLES, seed: SEED };
