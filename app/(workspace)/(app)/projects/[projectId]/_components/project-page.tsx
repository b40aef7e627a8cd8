"use client";

import { usePaginatedQuery, useQuery } from "convex/react";
import { ArchiveIcon, ChevronLeftIcon, EyeIcon, FolderSearchIcon } from "lucide-react";
import { Link } from "@/components/link";
import { useRouter } from "next/navigation";
import { useState } from "react";

import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { WorkspaceGate } from "@/components/workspace-gate";
import { api } from "@/convex/_generated/api";
import type { Id } from "@/convex/_generated/dataModel";
import { useWorkspace } from "@/hooks/use-workspace";
import { TASK_STATUSES, plural } from "@/lib/format";
import { routes } from "@/lib/routes";

import { ProjectActions } from "../../_components/project-actions";
import { Board } from "./board";
import { ColumnSkeleton } from "./board-column";
import { OnThisBoard } from "./on-this-board";

/** Members offered as assignees; a larger organization can still assign anyone already on a task. */
const MEMBERS_PAGE = 100;

function BackToProjects() {
  return (
    <Button asChild variant="ghost" size="sm" className="mb-2 -ml-2 text-muted-foreground">
      <Link href={routes.projects}>
        <ChevronLeftIcon aria-hidden />
        Projects
      </Link>
    </Button>
  );
}

export function ProjectSkeleton() {
  return (
    <div aria-busy>
      <BackToProjects />
      <div className="mb-6 flex flex-col gap-2">
        <Skeleton className="h-8 w-56" />
        <Skeleton className="h-4 w-40" />
      </div>
      <div className="grid gap-3 md:grid-cols-3">
        {TASK_STATUSES.map((status) => (
          <div key={status} className="flex min-h-64 flex-col gap-2 rounded-xl border bg-muted/50 p-2">
            <Skeleton className="m-1.5 h-5 w-24" />
            <ColumnSkeleton />
          </div>
        ))}
      </div>
    </div>
  );
}

function Project({ projectId }: { projectId: Id<"projects"> }) {
  const { can } = useWorkspace();
  const router = useRouter();
  const project = useQuery(api.projects.get, { id: projectId });
  const members = usePaginatedQuery(api.organizations.members, {}, { initialNumItems: MEMBERS_PAGE });
  // Set once this user confirmed its deletion: the page is leaving, so "not found" would only flash.
  const [deleted, setDeleted] = useState(false);

  if (project === undefined || deleted) return <ProjectSkeleton />;
  if (project === null) {
    return (
      <>
        <BackToProjects />
        <EmptyState
          icon={<FolderSearchIcon aria-hidden className="size-5" />}
          title="Project not found"
          description="It may have been deleted, or it belongs to another organization. Switch organization or pick another project."
          action={
            <Button asChild>
              <Link href={routes.projects}>All projects</Link>
            </Button>
          }
        />
      </>
    );
  }

  const archived = project.status === "archived";
  const mayWrite = can("org:tasks:write");
  const total = project.counts.todo + project.counts.in_progress + project.counts.done;

  return (
    <div data-testid="project-page">
      <BackToProjects />
      <PageHeader
        title={project.name}
        description={`${plural(total, "task")} · ${project.counts.done.toLocaleString("en")} done`}
        actions={
          <>
            <OnThisBoard projectId={project._id} />
            {can("org:projects:manage") ? (
              <ProjectActions
                project={project}
                variant="button"
                onDelete={() => {
                  setDeleted(true);
                  router.replace(routes.projects);
                }}
              />
            ) : null}
          </>
        }
      />
      {archived ? (
        <Alert className="mb-4">
          <ArchiveIcon aria-hidden />
          <AlertTitle>This project is archived</AlertTitle>
          <AlertDescription>Its tasks are read-only until an admin restores it.</AlertDescription>
        </Alert>
      ) : !mayWrite ? (
        <Alert className="mb-4">
          <EyeIcon aria-hidden />
          <AlertTitle>View only</AlertTitle>
          <AlertDescription>Your role can see this board but not change its tasks.</AlertDescription>
        </Alert>
      ) : null}
      <Board
        project={project}
        canWrite={mayWrite && !archived}
        members={members.results.map((member) => member.user).filter((person) => !person.deleted)}
      />
    </div>
  );
}

export function ProjectPage({ projectId }: { projectId: string }) {
  return (
    <WorkspaceGate fallback={<ProjectSkeleton />}>
      <Project projectId={projectId as Id<"projects">} />
    </WorkspaceGate>
  );
}
