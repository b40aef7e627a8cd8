"use client";

// Offline mode (next.config.ts resolves `@/components/auth/adapter` here): the local identity provider
// stands in for Clerk, with this app's own sign-in, sign-up, organization and member screens.
export { AuthAdapterProvider, useAuthState } from "@/lib/auth/offline-context";
export { ManageMembers, ManageMembersPage } from "@/lib/auth/offline-members";
export { OrganizationSwitcher, UserMenu } from "@/lib/auth/offline-menus";
export { SelectOrgPage, SignInPage, SignUpPage } from "@/lib/auth/offline-screens";
