"use client";

// Offline mode (next.config.ts resolves `@/lib/auth/adapter` here): the local identity provider
// stands in for Clerk, with this app's own sign-in, sign-up, organization and member screens.
export { AuthAdapterProvider, useAuthState } from "./offline-context";
export { ManageMembers, ManageMembersPage } from "./offline-members";
export { OrganizationSwitcher, UserMenu } from "./offline-menus";
export { SelectOrgPage, SignInPage, SignUpPage } from "./offline-screens";
