"use client";

// Offline mode (next.config.ts resolves `@/components/auth/adapter` here): the local Clerk stand-in's
// React UI (`@tenant-workspace/clerk-local/react`) bound to this app's components/ui, routes and
// roles, and Convex given the stand-in's tokens.
import {
  ClerkLocalProvider,
  useClerkLocalAuthState,
  useClerkLocalConvexAuth,
  type ClerkLocalConfig,
  type ClerkLocalKit,
} from "@tenant-workspace/clerk-local/react";
import { ConvexProviderWithAuth } from "convex/react";
import type { ReactNode } from "react";
import { toast } from "@/lib/toast";

import { PersonAvatar } from "@/components/person-avatar";
import * as alert from "@/components/ui/alert";
import * as alertDialog from "@/components/ui/alert-dialog";
import * as badge from "@/components/ui/badge";
import * as button from "@/components/ui/button";
import * as card from "@/components/ui/card";
import * as dialog from "@/components/ui/dialog";
import * as dropdownMenu from "@/components/ui/dropdown-menu";
import * as input from "@/components/ui/input";
import * as label from "@/components/ui/label";
import * as select from "@/components/ui/select";
import * as skeleton from "@/components/ui/skeleton";
import { roleLabel } from "@/lib/format";
import { ROLE_OPTIONS } from "@/lib/roles";
import { routes, withRedirect } from "@/lib/routes";
import type { AdapterAuthState } from "@/lib/auth/types";
import { createConvexClient, noteToken, noteTokenError } from "@/setup/auth-probe";
import { convexUrl, offlineIdpUrl } from "@/setup/config";

export {
  ManageMembers,
  ManageMembersPage,
  OrganizationSwitcher,
  SelectOrgPage,
  SignInPage,
  SignUpPage,
  UserMenu,
} from "@tenant-workspace/clerk-local/react";

const convex = createConvexClient(convexUrl());

/** The stand-in's screens are drawn with the app's own shadcn/ui components. */
const kit: ClerkLocalKit = {
  ...alert,
  ...alertDialog,
  ...badge,
  ...button,
  ...card,
  ...dialog,
  ...dropdownMenu,
  ...input,
  ...label,
  ...select,
  ...skeleton,
  PersonAvatar,
  toast,
};

const config: ClerkLocalConfig = {
  kit,
  routes,
  roles: ROLE_OPTIONS,
  roleLabel,
  withRedirect,
  providerUrl: offlineIdpUrl(),
};

/** The local identity provider's tokens carry its own URL as `iss`. */
const ISSUER = offlineIdpUrl();

/** Convex's view of the offline session, with every token noted for the app's diagnosis of a refused one. */
function useConvexAuth() {
  return useClerkLocalConvexAuth({ onToken: noteToken, onTokenError: noteTokenError });
}

export function AuthAdapterProvider({ children }: { children: ReactNode }) {
  return (
    <ClerkLocalProvider config={config}>
      <ConvexProviderWithAuth client={convex} useAuth={useConvexAuth}>
        {children}
      </ConvexProviderWithAuth>
    </ClerkLocalProvider>
  );
}

export function useAuthState(): AdapterAuthState {
  return { ...useClerkLocalAuthState(), issuer: ISSUER };
}
