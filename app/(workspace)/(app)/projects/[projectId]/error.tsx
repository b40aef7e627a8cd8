"use client";

import { RouteError } from "@/components/route-error";
import { routes } from "@/lib/routes";

export default function ProjectError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <RouteError
      error={error}
      reset={reset}
      what="this project"
      back={{ href: routes.projects, label: "Back to projects" }}
    />
  );
}
