"use client";

// Offline mode (next.config.ts resolves `@/lib/auth/adapter` here): the local identity provider
// stands in for Clerk, with this app's own sign-in, sign-up and organization screens.
export { AuthAdapterProvider, useAuthState } from "./offline-context";
export { OrganizationSwitcher, UserMenu } from "./offline-menus";
export { SelectOrgPage, SignInPage, SignUpPage } from "./offline-screens";
