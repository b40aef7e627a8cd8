"use client";

import { usePaginatedQuery } from "convex/react";
import { ArchiveIcon, FolderKanbanIcon, PlusIcon } from "lucide-react";
import { Link } from "@/components/link";
import { useRouter } from "next/navigation";
import { lazy, Suspense, useState } from "react";

import { CountsBar } from "@/components/counts-bar";
import { DeletionProgress } from "@/components/deletion-progress";
import { EmptyState } from "@/components/empty-state";
import { LoadMore } from "@/components/load-more";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardAction, CardContent, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { WorkspaceGate } from "@/components/workspace-gate";
import { api } from "@/convex/_generated/api";
import { useAppMutation } from "@/hooks/use-app-mutation";
import { useWorkspace } from "@/hooks/use-workspace";
import { routes } from "@/lib/routes";
import type { ProjectView } from "@/lib/types";
import { cn } from "@/lib/utils";

import { ProjectActions } from "./project-actions";

// The dialog's code loads when someone starts creating a project.
const ProjectNameDialog = lazy(() => import("./project-dialogs").then((m) => ({ default: m.ProjectNameDialog })));

const PAGE_SIZE = 12;
type ListStatus = "active" | "archived";

function ProjectCard({ project, canManage }: { project: ProjectView; canManage: boolean }) {
  // A project being deleted is gone but for this card: no link, no actions, the deletion's progress.
  const deleting = project.deleting;
  return (
    <li data-testid="project-card" data-project-id={project._id} aria-busy={deleting !== undefined || undefined}>
      <Card className={cn("h-full gap-4 py-5", deleting && "opacity-75")}>
        <CardHeader className="px-5">
          <CardTitle className="min-w-0">
            <h2 className="truncate text-base">
              {deleting ? (
                <span className="text-muted-foreground">{project.name}</span>
              ) : (
                <Link href={routes.project(project._id)} className="underline-offset-4 hover:underline">
                  {project.name}
                </Link>
              )}
            </h2>
          </CardTitle>
          {canManage && !deleting ? (
            <CardAction>
              <ProjectActions project={project} />
            </CardAction>
          ) : null}
        </CardHeader>
        <CardContent className="px-5">
          {deleting ? (
            <DeletionProgress name={project.name} progress={deleting} />
          ) : (
            <CountsBar counts={project.counts} />
          )}
        </CardContent>
        <CardFooter className="mt-auto gap-2 px-5 text-xs text-muted-foreground">
          {project.status === "archived" ? (
            <Badge variant="secondary">
              <ArchiveIcon aria-hidden />
              Archived
            </Badge>
          ) : null}
          <span>
            Updated <RelativeTime time={project.updatedAt} />
          </span>
        </CardFooter>
      </Card>
    </li>
  );
}

function GridSkeleton({ count = 6 }: { count?: number }) {
  return (
    <ul className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-hidden>
      {Array.from({ length: count }, (_, i) => (
        <li key={i}>
          <Card className="gap-4 py-5">
            <CardHeader className="px-5">
              <Skeleton className="h-5 w-2/3" />
            </CardHeader>
            <CardContent className="flex flex-col gap-2 px-5">
              <Skeleton className="h-1.5 w-full" />
              <Skeleton className="h-3 w-24" />
            </CardContent>
            <CardFooter className="px-5">
              <Skeleton className="h-3 w-32" />
            </CardFooter>
          </Card>
        </li>
      ))}
    </ul>
  );
}

function ProjectList({
  status,
  canManage,
  onCreate,
}: {
  status: ListStatus;
  canManage: boolean;
  onCreate: () => void;
}) {
  const {
    results,
    status: pages,
    loadMore,
  } = usePaginatedQuery(api.projects.list, { status }, { initialNumItems: PAGE_SIZE });
  if (pages === "LoadingFirstPage") return <GridSkeleton />;
  if (results.length === 0) {
    return status === "archived" ? (
      <EmptyState
        icon={<ArchiveIcon aria-hidden className="size-5" />}
        title="No archived projects"
        description="Archived projects are read-only and kept here until they are restored or deleted."
      />
    ) : (
      <EmptyState
        icon={<FolderKanbanIcon aria-hidden className="size-5" />}
        title="No projects yet"
        description={
          canManage
            ? "Projects hold your team's tasks. Create the first one."
            : "Projects are created by admins. Ask one to create a project, and it appears here at once."
        }
        action={
          canManage ? (
            <Button onClick={onCreate}>
              <PlusIcon aria-hidden />
              Create project
            </Button>
          ) : undefined
        }
      />
    );
  }
  return (
    <div className="flex flex-col gap-4">
      <ul
        className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3"
        aria-label={status === "active" ? "Active projects" : "Archived projects"}
      >
        {results.map((project) => (
          <ProjectCard key={project._id} project={project} canManage={canManage} />
        ))}
      </ul>
      <LoadMore status={pages} onLoadMore={() => loadMore(PAGE_SIZE)} label="Load more projects" />
    </div>
  );
}

function Projects() {
  const { can } = useWorkspace();
  const canManage = can("org:projects:manage");
  const router = useRouter();
  const create = useAppMutation(api.projects.create);
  const [tab, setTab] = useState<ListStatus>("active");
  const [creating, setCreating] = useState(false);

  return (
    <>
      <PageHeader
        title="Projects"
        description="Every project in this organization, live."
        actions={
          canManage ? (
            <Button onClick={() => setCreating(true)} data-testid="create-project">
              <PlusIcon aria-hidden />
              New project
            </Button>
          ) : null
        }
      />
      <Tabs value={tab} onValueChange={(value) => setTab(value === "archived" ? "archived" : "active")}>
        <TabsList aria-label="Project status" className="mb-2">
          <TabsTrigger value="active">Active</TabsTrigger>
          <TabsTrigger value="archived">Archived</TabsTrigger>
        </TabsList>
        <TabsContent value="active">
          <ProjectList status="active" canManage={canManage} onCreate={() => setCreating(true)} />
        </TabsContent>
        <TabsContent value="archived">
          <ProjectList status="archived" canManage={canManage} onCreate={() => setCreating(true)} />
        </TabsContent>
      </Tabs>
      {canManage && creating ? (
        <Suspense fallback={null}>
          <ProjectNameDialog
            open={creating}
            onOpenChange={setCreating}
            title="New project"
            description="Everyone in the organization can see it; members can add tasks."
            submitLabel="Create project"
            onSubmit={async (name) => {
              const outcome = await create({ name });
              if (outcome.ok) router.push(routes.project(outcome.value));
              return outcome.ok;
            }}
          />
        </Suspense>
      ) : null}
    </>
  );
}

export function ProjectsSkeleton() {
  return (
    <div aria-busy>
      <PageHeader title="Projects" description="Every project in this organization, live." />
      <Skeleton className="mb-4 h-9 w-44" />
      <GridSkeleton />
    </div>
  );
}

export function ProjectsPage() {
  return (
    <WorkspaceGate fallback={<ProjectsSkeleton />}>
      <Projects />
    </WorkspaceGate>
  );
}
