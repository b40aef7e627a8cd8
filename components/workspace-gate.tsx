"use client";

import { Building2Icon, LogInIcon, RefreshCwIcon, UserXIcon } from "lucide-react";
import { Link } from "@/components/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";

import { AuthProblem } from "@/components/auth-problem";
import { ErrorState } from "@/components/error-state";
import { Button } from "@/components/ui/button";
import { useWorkspaceState, type WorkspaceState } from "@/hooks/use-workspace";
import { routes, withRedirect } from "@/lib/routes";

type Problem = Exclude<WorkspaceState, { status: "ready" } | { status: "loading" }>;

/** Where to continue once another organization is chosen: this page, unless it belongs to the old one. */
function afterChoosing(pathname: string): string {
  return pathname.startsWith(`${routes.projects}/`) ? routes.dashboard : pathname;
}

/**
 * Why the workspace cannot show this page, in words, with the action that resolves it. It stands in
 * for the page, so it carries the page's heading.
 */
export function WorkspaceProblem({ state }: { state: Problem }) {
  const pathname = usePathname();
  switch (state.status) {
    case "signed-out":
      return (
        <ErrorState
          headingLevel="h1"
          icon={<LogInIcon aria-hidden className="size-5" />}
          title={state.problem === null ? "You are signed out" : "You were signed out"}
          description={state.problem ?? "Sign in to see your organization's projects and tasks."}
          actions={
            <Button asChild>
              <Link href={withRedirect(routes.signIn, pathname)}>Sign in</Link>
            </Button>
          }
        />
      );
    case "auth-problem":
      return <AuthProblem diagnosis={state.diagnosis} retry={state.retry} />;
    case "no-org":
      return (
        <ErrorState
          headingLevel="h1"
          icon={<Building2Icon aria-hidden className="size-5" />}
          title="Choose an organization"
          description="Projects and tasks belong to an organization. Choose one, or create a new one."
          actions={
            <Button asChild>
              <Link href={withRedirect(routes.selectOrg, pathname)}>Choose organization</Link>
            </Button>
          }
        />
      );
    case "access-lost":
      return (
        <ErrorState
          headingLevel="h1"
          icon={<UserXIcon aria-hidden className="size-5" />}
          title="You no longer have access to this organization"
          description={`${state.orgName === null ? "" : `You were in ${state.orgName}. `}${state.message} Pick another organization to carry on.`}
          className="border-dashed"
          actions={
            <Button asChild data-testid="choose-another-org">
              <Link href={withRedirect(routes.selectOrg, afterChoosing(pathname))}>Choose another organization</Link>
            </Button>
          }
        />
      );
    case "error": {
      const { error, retry } = state;
      return (
        <ErrorState
          headingLevel="h1"
          title={error.code === "FORBIDDEN" ? "No access to this organization" : "Could not open your workspace"}
          description={error.message}
          actions={
            <>
              <Button variant="outline" onClick={retry}>
                <RefreshCwIcon aria-hidden />
                Try again
              </Button>
              {error.code === "FORBIDDEN" ? (
                <Button asChild>
                  <Link href={withRedirect(routes.selectOrg, pathname)}>Choose another organization</Link>
                </Button>
              ) : null}
              {error.code === "UNAUTHENTICATED" ? (
                <Button asChild>
                  <Link href={withRedirect(routes.signIn, pathname)}>Sign in</Link>
                </Button>
              ) : null}
            </>
          }
        />
      );
    }
  }
}

/**
 * Renders `children` only once Convex has accepted the token and `users.ensure` has resolved, so no
 * data view ever shows an empty flash; `fallback` (the page's skeleton, or data rendered on the
 * server) until then. Every other state gets a message and the action that resolves it.
 */
export function WorkspaceGate({ fallback, children }: { fallback: ReactNode; children: ReactNode }) {
  const state = useWorkspaceState();
  switch (state.status) {
    case "ready":
      return children;
    case "loading":
      return fallback;
    default:
      return <WorkspaceProblem state={state} />;
  }
}
