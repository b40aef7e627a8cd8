"use client";

import { RefreshCwIcon } from "lucide-react";
import { Link } from "@/components/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";

import { ErrorState } from "@/components/error-state";
import { Button } from "@/components/ui/button";
import { WorkspaceProblem } from "@/components/workspace-gate";
import { useWorkspaceState } from "@/hooks/use-workspace";
import { describeError } from "@/lib/errors";
import { routes, withRedirect } from "@/lib/routes";

type RouteErrorProps = {
  error: Error & { digest?: string };
  reset: () => void;
  /** What failed to load, e.g. "this project". */
  what: string;
  /** Where to go instead when the thing is gone. */
  back?: { href: string; label: string };
};

/**
 * The body of every `error.tsx`: the backend's message when there is one, and ways forward. When the
 * workspace itself lost access (the member was removed), that is what it says; once another
 * organization is open, the page tries again by itself.
 */
export function RouteError({ error, reset, what, back }: RouteErrorProps) {
  const router = useRouter();
  const pathname = usePathname();
  const [retrying, startTransition] = useTransition();
  const info = describeError(error);
  const workspace = useWorkspaceState();
  const orgId = workspace.status === "ready" ? workspace.org._id : null;
  const [failedIn] = useState(orgId);

  useEffect(() => {
    // Unexpected failures only: refusals the backend explains are part of the UI, not bugs.
    if (info.code === null) console.error(error);
  }, [error, info.code]);

  useEffect(() => {
    if (orgId !== null && orgId !== failedIn) reset();
  }, [orgId, failedIn, reset]);

  if (workspace.status === "access-lost") return <WorkspaceProblem state={workspace} />;

  const title =
    info.code === "NOT_FOUND"
      ? `Could not find ${what}`
      : info.code === "FORBIDDEN"
        ? `You cannot open ${what}`
        : info.code === "UNAUTHENTICATED"
          ? "Your session has ended"
          : `Could not load ${what}`;

  return (
    <ErrorState
      headingLevel="h1"
      title={title}
      description={info.message}
      actions={
        <>
          <Button
            variant="outline"
            disabled={retrying}
            onClick={() =>
              startTransition(() => {
                router.refresh();
                reset();
              })
            }
          >
            <RefreshCwIcon aria-hidden />
            Try again
          </Button>
          {info.code === "UNAUTHENTICATED" ? (
            <Button asChild>
              <Link href={withRedirect(routes.signIn, pathname)}>Sign in</Link>
            </Button>
          ) : null}
          {info.code === "FORBIDDEN" ? (
            <Button asChild>
              <Link href={withRedirect(routes.selectOrg, pathname)}>Choose another organization</Link>
            </Button>
          ) : null}
          {back ? (
            <Button asChild variant={info.code === "NOT_FOUND" ? "default" : "ghost"}>
              <Link href={back.href}>{back.label}</Link>
            </Button>
          ) : null}
        </>
      }
    />
  );
}
