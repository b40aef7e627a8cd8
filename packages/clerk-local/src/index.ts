/**
 * `@tenant-workspace/clerk-local`: a local stand-in for Clerk, for development and tests (never for
 * production). This entry point is the identity provider (Node.js): Clerk-shaped session tokens, a
 * directory of users and organizations, and svix-signed Clerk webhooks for every change to it.
 * The Next.js side is `./next`, the React UI `./react`, test helpers `./testing`.
 */
export {
  DEFAULT_DATA_DIR,
  DEFAULT_PORT,
  DEFAULT_WEBHOOK_URL,
  startIdentityProvider,
  type IdentityProvider,
  type IdentityProviderConfig,
  type IdentityProviderOptions,
} from "./idp/provider";
export type {
  AddMemberInput,
  CreateOrganizationInput,
  CreateUserInput,
  Deleted,
  Directory,
  UpdateOrganizationInput,
  UpdateUserInput,
} from "./idp/directory";
export type { MembershipRecord, OrganizationRecord, SessionRecord, UserRecord } from "./idp/state";
export type { DirectorySeed, SeedUser } from "./idp/seed";
export { IdpError, type IdpErrorCode } from "./idp/errors";
export { CLERK_DEFAULT_ROLES, CREATOR_ROLE, type RolePermissions } from "./idp/roles";
export {
  DEFAULT_AUDIENCE,
  TOKEN_LIFETIME_SECONDS,
  type CreateSessionInput,
  type SessionClaims,
  type Sessions,
} from "./idp/sessions";
export {
  NORMAL_TOKEN_SETTINGS,
  type TokenSettings,
  type TokenSettingsValues,
  type TokenSettingsView,
  type UpdateTokenSettingsInput,
} from "./idp/token-settings";
export { DEFAULT_RETRY, type RetryPolicy, type WebhookStatus } from "./idp/webhook-sender";
export { loadOrCreateWebhookSecret, webhookSecretPath } from "./idp/webhook-secret";
export { apiKeyPath, loadOrCreateApiKey, readApiKey } from "./idp/api-key";
export { loadOrCreateSigningKey, type SigningKey } from "./idp/signing-key";
