import type { FunctionReturnType } from "convex/server";
import { ActivityIcon, ArrowRightIcon, FolderKanbanIcon, InboxIcon } from "lucide-react";
import { Link } from "@/components/link";
import type { ReactNode } from "react";

import { ActivityItem } from "@/components/activity-item";
import { CountsBar } from "@/components/counts-bar";
import { DeletionProgress } from "@/components/deletion-progress";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { StatusBadge, StatusDot } from "@/components/status-badge";
import { Button } from "@/components/ui/button";
import { Card, CardAction, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import type { api } from "@/convex/_generated/api";
import type { CurrentOrg } from "@/hooks/use-workspace";
import { STATUS_LABELS, TASK_STATUSES } from "@/lib/format";
import { routes } from "@/lib/routes";
import type { ProjectView } from "@/lib/types";

import { ProjectViewers } from "./project-viewers";

/** Each section is undefined while its query loads; the rest of the page renders meanwhile. */
export type DashboardData = {
  org: CurrentOrg | undefined;
  counts: FunctionReturnType<typeof api.dashboard.counts> | undefined;
  projects: FunctionReturnType<typeof api.projects.list> | undefined;
  activity: FunctionReturnType<typeof api.activity.list> | undefined;
  assigned: FunctionReturnType<typeof api.tasks.assignedToMe> | undefined;
};

function StatCard({
  label,
  value,
  accent,
  testId,
}: {
  label: string;
  value: number | undefined;
  accent?: ReactNode;
  testId: string;
}) {
  return (
    <Card className="gap-2 py-4">
      <CardHeader className="px-4">
        <CardDescription className="flex items-center gap-2">
          {accent}
          {label}
        </CardDescription>
      </CardHeader>
      <CardContent className="px-4">
        {value === undefined ? (
          <Skeleton className="h-8 w-16" />
        ) : (
          <p className="text-3xl font-semibold tabular-nums" data-testid={testId}>
            {value.toLocaleString("en")}
          </p>
        )}
      </CardContent>
    </Card>
  );
}

function CountsRow({ counts }: { counts: DashboardData["counts"] }) {
  return (
    <section aria-label="Task counts" className="grid grid-cols-2 gap-3 lg:grid-cols-4">
      {TASK_STATUSES.map((status) => (
        <StatCard
          key={status}
          label={STATUS_LABELS[status]}
          value={counts?.tasks[status]}
          accent={<StatusDot status={status} />}
          testId={`count-${status}`}
        />
      ))}
      <StatCard
        label="Projects"
        value={counts?.projects}
        accent={<FolderKanbanIcon aria-hidden className="size-3.5" />}
        testId="count-projects"
      />
    </section>
  );
}

function SectionCard({
  title,
  description,
  link,
  children,
}: {
  title: string;
  description: string;
  /** `hidden`: words only screen readers need to tell this link from the others ("View all activity"). */
  link?: { href: string; label: string; hidden?: string };
  children: ReactNode;
}) {
  return (
    <Card className="gap-4">
      <CardHeader>
        <CardTitle>
          <h2>{title}</h2>
        </CardTitle>
        <CardDescription>{description}</CardDescription>
        {link ? (
          <CardAction>
            <Button asChild variant="ghost" size="sm">
              <Link href={link.href}>
                {link.label}
                {link.hidden ? <span className="sr-only"> {link.hidden}</span> : null}
                <ArrowRightIcon aria-hidden />
              </Link>
            </Button>
          </CardAction>
        ) : null}
      </CardHeader>
      <CardContent>{children}</CardContent>
    </Card>
  );
}

function RowsSkeleton({ rows, className = "h-10" }: { rows: number; className?: string }) {
  return (
    <div className="flex flex-col gap-3" aria-hidden>
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} className={`${className} w-full`} />
      ))}
    </div>
  );
}

function ProjectsSection({
  projects,
  canManage,
  live,
}: {
  projects: DashboardData["projects"];
  canManage: boolean;
  live: boolean;
}) {
  return (
    <SectionCard
      title="Projects"
      description="Task progress per project."
      link={{ href: routes.projects, label: "All projects" }}
    >
      {projects === undefined ? (
        <RowsSkeleton rows={4} className="h-12" />
      ) : projects.page.length === 0 ? (
        <EmptyState
          headingLevel="h3"
          icon={<FolderKanbanIcon aria-hidden className="size-5" />}
          title="No projects yet"
          description={
            canManage
              ? "Create a project to start planning work with your team."
              : "An admin creates projects; they will appear here as soon as one exists."
          }
          action={
            canManage ? (
              <Button asChild size="sm">
                <Link href={routes.projects}>Create a project</Link>
              </Button>
            ) : undefined
          }
        />
      ) : (
        <ul className="divide-y" data-testid="dashboard-projects">
          {projects.page.map((project: ProjectView) => (
            <li
              key={project._id}
              className="py-3 first:pt-0 last:pb-0"
              aria-busy={project.deleting !== undefined || undefined}
            >
              {project.deleting ? (
                <>
                  <p className="mb-2 truncate font-medium text-muted-foreground">{project.name}</p>
                  <DeletionProgress name={project.name} progress={project.deleting} />
                </>
              ) : (
                <>
                  <div className="mb-2 flex min-h-6 items-center justify-between gap-3">
                    <Link
                      href={routes.project(project._id)}
                      className="min-w-0 truncate font-medium underline-offset-4 hover:text-foreground/80 hover:underline"
                    >
                      {project.name}
                    </Link>
                    {live ? <ProjectViewers projectId={project._id} /> : null}
                  </div>
                  <CountsBar counts={project.counts} />
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </SectionCard>
  );
}

function AssignedSection({ assigned }: { assigned: DashboardData["assigned"] }) {
  return (
    <SectionCard title="Assigned to me" description="Tasks assigned to you, by status.">
      {assigned === undefined ? (
        <RowsSkeleton rows={4} />
      ) : assigned.page.length === 0 ? (
        <EmptyState
          headingLevel="h3"
          icon={<InboxIcon aria-hidden className="size-5" />}
          title="Nothing assigned to you"
          description="Tasks assigned to you in any project show up here."
          action={
            <Button asChild size="sm" variant="outline">
              <Link href={routes.projects}>Browse projects</Link>
            </Button>
          }
        />
      ) : (
        <ul className="divide-y" data-testid="dashboard-assigned">
          {assigned.page.map((task) => (
            <li key={task._id} className="flex items-center justify-between gap-3 py-2.5 first:pt-0 last:pb-0">
              <Link
                href={routes.project(task.projectId)}
                className="min-w-0 truncate text-sm font-medium underline-offset-4 hover:underline"
              >
                {task.title}
              </Link>
              <StatusBadge status={task.status} />
            </li>
          ))}
        </ul>
      )}
    </SectionCard>
  );
}

function ActivitySection({ activity }: { activity: DashboardData["activity"] }) {
  return (
    <SectionCard
      title="Recent activity"
      description="The latest changes in this organization."
      link={{ href: routes.activity, label: "View all", hidden: "activity" }}
    >
      {activity === undefined ? (
        <RowsSkeleton rows={5} />
      ) : activity.page.length === 0 ? (
        <EmptyState
          headingLevel="h3"
          icon={<ActivityIcon aria-hidden className="size-5" />}
          title="No activity yet"
          description="Creating projects and moving tasks leaves a trail here."
          action={
            <Button asChild size="sm" variant="outline">
              <Link href={routes.projects}>Go to projects</Link>
            </Button>
          }
        />
      ) : (
        <ul className="-my-3 divide-y" data-testid="dashboard-activity">
          {activity.page.map((entry) => (
            <ActivityItem key={entry._id} entry={entry} />
          ))}
        </ul>
      )}
    </SectionCard>
  );
}

/** `live`: Convex has accepted the token here, so the rows can subscribe to who is on each board. */
export function DashboardView({ data, live = false }: { data: DashboardData; live?: boolean }) {
  const canManage = data.org?.permissions.includes("org:projects:manage") ?? false;
  return (
    <div data-testid="dashboard" aria-busy={data.counts === undefined || data.projects === undefined}>
      <PageHeader
        title="Dashboard"
        description={data.org ? `What is happening in ${data.org.name}.` : "What is happening in your organization."}
      />
      <div className="flex flex-col gap-6">
        <CountsRow counts={data.counts} />
        <div className="grid gap-6 lg:grid-cols-2">
          <ProjectsSection projects={data.projects} canManage={canManage} live={live} />
          <AssignedSection assigned={data.assigned} />
        </div>
        <ActivitySection activity={data.activity} />
      </div>
    </div>
  );
}

/** The dashboard's layout with every value still loading. */
export function DashboardSkeleton() {
  return (
    <DashboardView
      data={{ org: undefined, counts: undefined, projects: undefined, activity: undefined, assigned: undefined }}
    />
  );
}
