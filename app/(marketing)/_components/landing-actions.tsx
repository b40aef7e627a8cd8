"use client";

import { ArrowRightIcon } from "lucide-react";
import Link from "next/link";

import { Button } from "@/components/ui/button";
import { useAuthState } from "@/components/auth/adapter";
import { routes } from "@/lib/routes";

/** Sign in / sign up, or straight to the dashboard for someone already signed in. */
export function LandingActions({ size = "lg" }: { size?: "lg" | "sm" }) {
  const { isLoaded, isSignedIn } = useAuthState();
  if (isLoaded && isSignedIn) {
    return (
      <Button asChild size={size} data-testid="landing-open-dashboard">
        <Link href={routes.dashboard}>
          Open dashboard
          <ArrowRightIcon aria-hidden />
        </Link>
      </Button>
    );
  }
  return (
    <div className="flex flex-wrap items-center gap-3">
      <Button asChild size={size} data-testid="landing-sign-up">
        <Link href={routes.signUp}>Create an account</Link>
      </Button>
      <Button asChild size={size} variant="outline" data-testid="landing-sign-in">
        <Link href={routes.signIn}>Sign in</Link>
      </Button>
    </div>
  );
}
