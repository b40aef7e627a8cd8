import type { FunctionReturnType } from "convex/server";

import type { api } from "@/convex/_generated/api";

/** Rows as the backend's public functions return them. */
export type ProjectView = FunctionReturnType<typeof api.projects.list>["page"][number];
export type TaskView = FunctionReturnType<typeof api.tasks.listByStatus>["page"][number];
export type ActivityView = FunctionReturnType<typeof api.activity.list>["page"][number];
export type MemberView = FunctionReturnType<typeof api.organizations.members>["page"][number];
export type Person = MemberView["user"];
export type StatusCounts = ProjectView["counts"];
/** A project being deleted: tasks deleted so far, of those it had. */
export type DeletionProgress = NonNullable<ProjectView["deleting"]>;
