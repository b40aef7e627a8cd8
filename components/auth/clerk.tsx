"use client";

// Clerk mode: ClerkProvider + ConvexProviderWithClerk, and Clerk's own components for the auth UI.
import {
  ClerkProvider,
  OrganizationList,
  OrganizationProfile,
  OrganizationSwitcher as ClerkOrganizationSwitcher,
  RedirectToTasks,
  SignIn,
  SignUp,
  TaskChooseOrganization,
  UserButton,
  useAuth,
  useSession,
} from "@clerk/nextjs";
import { ConvexProviderWithClerk } from "convex/react-clerk";
import { UserCogIcon } from "lucide-react";
import { Link } from "@/components/link";
import { useCallback, useMemo, type ReactNode } from "react";

import { Button } from "@/components/ui/button";
import { convexUrl } from "@/setup/config";
import { routes, selectOrgView } from "@/lib/routes";

import { createConvexClient, noteToken, noteTokenError } from "@/setup/auth-probe";
import { issuerOfPublishableKey } from "@/setup/token-claims";
import type { AdapterAuthState, AuthPageProps } from "@/lib/auth/types";

const convex = createConvexClient(convexUrl());

/** Tokens of the instance the publishable key names carry this `iss` (its Frontend API URL). */
const ISSUER = issuerOfPublishableKey(process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY ?? "");

type GetToken = ReturnType<typeof useAuth>["getToken"];

/**
 * Clerk's useAuth for ConvexProviderWithClerk, noting every token (or failure to get one) it hands
 * to Convex: ConvexProviderWithClerk swallows getToken's errors, and they name the fix (e.g. no
 * `convex` JWT template).
 */
function useObservedAuth() {
  const auth = useAuth();
  const { getToken } = auth;
  const observedGetToken = useCallback<GetToken>(
    async (options) => {
      try {
        const token = await getToken(options);
        noteToken(token);
        return token;
      } catch (error) {
        noteTokenError(error);
        throw error;
      }
    },
    [getToken],
  );
  return useMemo(() => ({ ...auth, getToken: observedGetToken }), [auth, observedGetToken]);
}

// Clerk's components take the app's theme tokens, so they follow light/dark with the rest of the UI.
const appearance = {
  variables: {
    colorPrimary: "var(--primary)",
    colorPrimaryForeground: "var(--primary-foreground)",
    colorBackground: "var(--card)",
    colorForeground: "var(--card-foreground)",
    colorMuted: "var(--muted)",
    colorMutedForeground: "var(--muted-foreground)",
    colorInput: "var(--background)",
    colorInputForeground: "var(--foreground)",
    colorNeutral: "var(--foreground)",
    colorBorder: "var(--border)",
    colorRing: "var(--ring)",
    colorDanger: "var(--destructive)",
    borderRadius: "var(--radius)",
    fontFamily: "var(--font-sans)",
  },
};

export function AuthAdapterProvider({ children }: { children: ReactNode }) {
  return (
    <ClerkProvider
      appearance={appearance}
      signInUrl={routes.signIn}
      signUpUrl={routes.signUp}
      signInFallbackRedirectUrl={routes.dashboard}
      signUpFallbackRedirectUrl={routes.dashboard}
      afterSignOutUrl={routes.landing}
      // Instances that require an organization give new sessions a "choose-organization" task.
      taskUrls={{ "choose-organization": routes.selectOrg }}
    >
      <ConvexProviderWithClerk client={convex} useAuth={useObservedAuth}>
        {children}
      </ConvexProviderWithClerk>
    </ClerkProvider>
  );
}

export function useAuthState(): AdapterAuthState {
  const { isLoaded, isSignedIn, userId, orgId } = useAuth();
  return {
    isLoaded,
    isSignedIn: isSignedIn === true,
    userId: userId ?? null,
    orgId: orgId ?? null,
    problem: null,
    issuer: ISSUER,
  };
}

export function UserMenu() {
  return (
    <div data-testid="user-menu" className="flex size-9 items-center justify-center">
      <UserButton />
    </div>
  );
}

export function OrganizationSwitcher() {
  return (
    <div data-testid="org-switcher" className="flex min-h-9 items-center">
      <ClerkOrganizationSwitcher
        hidePersonal
        afterSelectOrganizationUrl={routes.dashboard}
        afterCreateOrganizationUrl={routes.dashboard}
        afterLeaveOrganizationUrl={routes.selectOrg}
      />
    </div>
  );
}

export function SignInPage({ redirectUrl }: AuthPageProps) {
  return <SignIn routing="path" path={routes.signIn} signUpUrl={routes.signUp} fallbackRedirectUrl={redirectUrl} />;
}

export function SignUpPage({ redirectUrl }: AuthPageProps) {
  return <SignUp routing="path" path={routes.signUp} signInUrl={routes.signIn} fallbackRedirectUrl={redirectUrl} />;
}

/**
 * A pending session choosing its organization gets Clerk's own task screen (which completes the
 * task); one with another task goes to Clerk's task flow; an active session picks from its list.
 */
export function SelectOrgPage({ redirectUrl }: AuthPageProps) {
  const { isLoaded, session } = useSession();
  switch (selectOrgView({ isLoaded, status: session?.status, currentTaskKey: session?.currentTask?.key })) {
    case "loading":
      return (
        <div aria-busy="true" aria-label="Loading" className="h-96 w-full max-w-md animate-pulse rounded-xl bg-muted" />
      );
    case "choose-organization-task":
      return <TaskChooseOrganization redirectUrlComplete={redirectUrl} />;
    case "other-task":
      return <RedirectToTasks />;
    case "organization-list":
      return (
        <OrganizationList
          hidePersonal
          afterSelectOrganizationUrl={redirectUrl}
          afterCreateOrganizationUrl={redirectUrl}
        />
      );
  }
}

/** Clerk's organization profile lives on its own route (path routing), so it opens as a page. */
export function ManageMembers() {
  return (
    <Button asChild data-testid="manage-members">
      <Link href={routes.manageMembers}>
        <UserCogIcon aria-hidden />
        Manage members
      </Link>
    </Button>
  );
}

/**
 * Clerk's own member management (roles, removal, invitations), at `/members/manage/[[...rest]]`.
 * Its changes reach Convex through the `organizationMembership.*` webhooks.
 */
export function ManageMembersPage() {
  return (
    <OrganizationProfile
      routing="path"
      path={routes.manageMembers}
      afterLeaveOrganizationUrl={routes.selectOrg}
      appearance={{ elements: { rootBox: "w-full", cardBox: "w-full max-w-none shadow-none border" } }}
    />
  );
}
