"use client";

import { RouteError } from "@/components/route-error";
import { routes } from "@/lib/routes";

export default function UsageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <RouteError
      error={error}
      reset={reset}
      what="usage"
      back={{ href: routes.dashboard, label: "Back to dashboard" }}
    />
  );
}
