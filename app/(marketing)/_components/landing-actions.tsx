import { ArrowRightIcon } from "lucide-react";

import { buttonVariants } from "@/components/ui/button";
import { hasSession } from "@/lib/auth/server";
import { routes } from "@/lib/routes";

/**
 * Sign in / sign up, or straight to the dashboard for someone already signed in: decided on the
 * server from the request's session, so the landing page ships no auth client. Plain links: going into
 * the app is a full page load that brings the app's runtime, so there is nothing to prefetch (and no
 * client component: a shared one would bring the chunks of another layout that uses it).
 */
export async function LandingActions() {
  if (await hasSession()) {
    return (
      <a href={routes.dashboard} className={buttonVariants({ size: "lg" })} data-testid="landing-open-dashboard">
        Open dashboard
        <ArrowRightIcon aria-hidden />
      </a>
    );
  }
  return (
    <div className="flex flex-wrap items-center gap-3">
      <a href={routes.signUp} className={buttonVariants({ size: "lg" })} data-testid="landing-sign-up">
        Create an account
      </a>
      <a
        href={routes.signIn}
        className={buttonVariants({ size: "lg", variant: "outline" })}
        data-testid="landing-sign-in"
      >
        Sign in
      </a>
    </div>
  );
}
