/**
 * `@tenant-workspace/clerk-local/react`: the browser side of the local Clerk stand-in. A provider
 * holding the offline session, the screens and menus Clerk's components stand for (sign-in, sign-up,
 * organization choice and switcher, user menu, member management) drawn with the app's own UI kit,
 * and the hook a Convex client takes its tokens from.
 */
export {
  accountName,
  ClerkLocalProvider,
  useClerkLocal,
  useClerkLocalAuthState,
  useClerkLocalConvexAuth,
  useOrganizations,
  type ClerkLocalAuthState,
  type ClerkLocalConfig,
  type ClerkLocalContextValue,
  type ClerkLocalRole,
  type ClerkLocalRoutes,
  type TokenObserver,
} from "./context";
export type { ClerkLocalKit, ClerkLocalToast } from "./kit";
export { CreateOrganizationForm, SelectOrgPage, SignInPage, SignUpPage, type ClerkLocalPageProps } from "./screens";
export { OrganizationSwitcher, UserMenu } from "./menus";
export { ManageMembers, ManageMembersPage } from "./members";
export {
  createHttpOfflineIdentityClient,
  tokenExpiry,
  type HttpOfflineIdentityClientOptions,
  type OfflineIdentityClient,
} from "./client";
export { isSessionEnded, OfflineIdentityError } from "../shared/errors";
export type {
  NewOfflineAccount,
  OfflineAccount,
  OfflineDirectoryAccount,
  OfflineMember,
  OfflineOrganization,
  OfflineSession,
  OfflineSignIn,
} from "../shared/types";
