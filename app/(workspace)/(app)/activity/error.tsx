"use client";

import { RouteError } from "@/components/route-error";
import { routes } from "@/lib/routes";

export default function ActivityError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <RouteError
      error={error}
      reset={reset}
      what="the activity feed"
      back={{ href: routes.dashboard, label: "Back to dashboard" }}
    />
  );
}
