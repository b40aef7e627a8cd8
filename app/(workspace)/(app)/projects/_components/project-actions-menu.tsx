"use client";

import { ArchiveIcon, ArchiveRestoreIcon, PencilIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";

import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { api } from "@/convex/_generated/api";
import { useAppMutation } from "@/hooks/use-app-mutation";

import { ProjectActionsTrigger, type ProjectActionsProps } from "./project-actions";
import { DeleteProjectDialog, ProjectNameDialog } from "./project-dialogs";

/** The menu behind `ProjectActions`, loaded on first use; it opens as it mounts. */
export function ProjectActionsMenu({ project, onDelete, variant = "icon" }: ProjectActionsProps) {
  const rename = useAppMutation(api.projects.rename);
  const archive = useAppMutation(api.projects.archive);
  const unarchive = useAppMutation(api.projects.unarchive);
  const remove = useAppMutation(api.projects.remove);
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const archived = project.status === "archived";

  return (
    <>
      <DropdownMenu defaultOpen>
        <DropdownMenuTrigger asChild>
          <ProjectActionsTrigger project={project} variant={variant} />
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end">
          <DropdownMenuItem onSelect={() => setRenaming(true)}>
            <PencilIcon aria-hidden />
            Rename
          </DropdownMenuItem>
          {archived ? (
            <DropdownMenuItem
              onSelect={() => void unarchive({ id: project._id }, { success: `Restored “${project.name}”.` })}
            >
              <ArchiveRestoreIcon aria-hidden />
              Restore from archive
            </DropdownMenuItem>
          ) : (
            <DropdownMenuItem
              onSelect={() => void archive({ id: project._id }, { success: `Archived “${project.name}”.` })}
            >
              <ArchiveIcon aria-hidden />
              Archive
            </DropdownMenuItem>
          )}
          <DropdownMenuSeparator />
          <DropdownMenuItem variant="destructive" onSelect={() => setDeleting(true)}>
            <Trash2Icon aria-hidden />
            Delete
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
      <ProjectNameDialog
        open={renaming}
        onOpenChange={setRenaming}
        title="Rename project"
        description="Everyone in the organization sees the new name at once."
        submitLabel="Rename"
        initialName={project.name}
        onSubmit={async (name) => (await rename({ id: project._id, name })).ok}
      />
      <DeleteProjectDialog
        project={project}
        open={deleting}
        onOpenChange={setDeleting}
        onConfirm={() => {
          onDelete?.();
          void remove({ id: project._id }, { success: `Deleting “${project.name}”…` });
        }}
      />
    </>
  );
}
