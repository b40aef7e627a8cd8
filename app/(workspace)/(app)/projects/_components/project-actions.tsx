"use client";

import { MoreHorizontalIcon } from "lucide-react";
import { lazy, type ComponentProps } from "react";

import { LoadOnFirstUse } from "@/components/load-on-first-use";
import { Button } from "@/components/ui/button";
import type { ProjectView } from "@/lib/types";

export type ProjectActionsProps = {
  project: ProjectView;
  onDelete?: () => void;
  /** `button`: a labelled button, for a page header. */
  variant?: "icon" | "button";
};

const loadMenu = () => import("./project-actions-menu");
const ProjectActionsMenu = lazy(() => loadMenu().then((m) => ({ default: m.ProjectActionsMenu })));

export function ProjectActionsTrigger({
  project,
  variant = "icon",
  ...props
}: Pick<ProjectActionsProps, "project" | "variant"> & Omit<ComponentProps<typeof Button>, "variant">) {
  return (
    <Button
      variant={variant === "icon" ? "ghost" : "outline"}
      size={variant === "icon" ? "icon-sm" : "default"}
      aria-label={`Actions for project ${project.name}`}
      aria-haspopup="menu"
      data-testid="project-actions"
      {...props}
    >
      <MoreHorizontalIcon aria-hidden />
      {variant === "button" ? "Project" : null}
    </Button>
  );
}

/**
 * Rename, archive or restore, delete: for holders of `org:projects:manage` only (callers check).
 * `onDelete` runs as soon as deletion is confirmed (a refusal still shows as a toast), so a page
 * showing the project can leave before it disappears.
 *
 * The menu and its dialogs load on first use (their code starts loading when the pointer or focus
 * reaches the button): a list of projects shows one button per project but rarely opens one.
 */
export function ProjectActions(props: ProjectActionsProps) {
  return (
    <LoadOnFirstUse
      preload={loadMenu}
      trigger={(handlers) => <ProjectActionsTrigger project={props.project} variant={props.variant} {...handlers} />}
    >
      <ProjectActionsMenu {...props} />
    </LoadOnFirstUse>
  );
}
