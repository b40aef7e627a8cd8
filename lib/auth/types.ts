import type { NextMiddleware } from "next/server";
import type { ComponentType, ReactNode } from "react";

/** What the shared UI knows about the signed-in user from the auth provider (not from Convex). */
export type AdapterAuthState = {
  /** False until the auth provider knows whether someone is signed in. */
  isLoaded: boolean;
  isSignedIn: boolean;
  /** The identity provider's user and active organization ids (Clerk's `user_…` / `org_…`). */
  userId: string | null;
  orgId: string | null;
  /** Why the provider signed the user out or could not tell (e.g. it is unreachable); null otherwise. */
  problem: string | null;
  /** The `iss` this provider's tokens carry, for explaining a refused token; null when unknown. */
  issuer: string | null;
};

/** Props of the full-page auth screens: where to continue once done (already made safe). */
export type AuthPageProps = { redirectUrl: string };

/**
 * The client contract every auth mode implements (`components/auth/clerk.tsx`, `components/auth/offline.tsx`).
 * The shared UI imports it as `@/components/auth/adapter`; next.config.ts points that at one mode's module.
 */
export type AuthAdapter = {
  /** Wraps the app: the identity provider, and Convex with that provider's tokens. */
  AuthAdapterProvider: ComponentType<{ children: ReactNode }>;
  /** The signed-in user with a way to sign out. */
  UserMenu: ComponentType;
  /** Switch between and create organizations (no personal workspace). */
  OrganizationSwitcher: ComponentType;
  SignInPage: ComponentType<AuthPageProps>;
  SignUpPage: ComponentType<AuthPageProps>;
  /** Choose or create the active organization. */
  SelectOrgPage: ComponentType<AuthPageProps>;
  /**
   * The members page's way into member management (change roles, remove, add), through the identity
   * provider: its changes reach Convex by webhook. Admins only; the page decides who sees it.
   */
  ManageMembers: ComponentType;
  /** Member management as a page of its own (`/members/manage`), for admins. */
  ManageMembersPage: ComponentType;
  useAuthState: () => AdapterAuthState;
};

/** The server contract (`lib/auth/clerk-server.ts`, `lib/auth/offline-server.ts`), as `@/lib/auth/server`. */
export type AuthServer = {
  /** The Next.js middleware: the user's way through the app (redirects only). */
  authMiddleware: NextMiddleware;
  /**
   * A Convex token for the request's session and active organization, for server-side preloading;
   * null when signed out or when none can be had right now (the page then loads on the client).
   */
  getConvexToken: () => Promise<string | null>;
  /**
   * Whether the request comes with a session, read on the server (no auth client in the page): for
   * pages such as the landing page that only link into the app.
   */
  hasSession: () => Promise<boolean>;
};
