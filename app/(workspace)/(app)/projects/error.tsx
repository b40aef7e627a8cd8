"use client";

import { RouteError } from "@/components/route-error";
import { routes } from "@/lib/routes";

export default function ProjectsError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <RouteError
      error={error}
      reset={reset}
      what="projects"
      back={{ href: routes.dashboard, label: "Back to dashboard" }}
    />
  );
}
