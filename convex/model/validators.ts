import { v, type Infer, type VFloat64 } from "convex/values";

/** A task's status: the columns of a project's board, in order. */
export const TASK_STATUSES = ["todo", "in_progress", "done"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const taskStatusValidator = v.union(...TASK_STATUSES.map((status) => v.literal(status)));

/** The statuses clients see and list projects by. */
export const VISIBLE_PROJECT_STATUSES = ["active", "archived"] as const;
/** `deleting` hides a project at once while its tasks are removed in batches. */
export const PROJECT_STATUSES = [...VISIBLE_PROJECT_STATUSES, "deleting"] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];
export const projectStatusValidator = v.union(...PROJECT_STATUSES.map((status) => v.literal(status)));

/** Where a membership row came from: the verified token at first sign-in, or Clerk's webhook. */
export const membershipSourceValidator = v.union(v.literal("token"), v.literal("webhook"));

export const activityActionValidator = v.union(
  v.literal("project.created"),
  v.literal("project.renamed"),
  v.literal("project.archived"),
  v.literal("project.unarchived"),
  v.literal("project.deleted"),
  v.literal("task.created"),
  v.literal("task.edited"),
  v.literal("task.moved"),
  v.literal("task.assigned"),
  v.literal("task.unassigned"),
  v.literal("task.deleted"),
);
export type ActivityAction = Infer<typeof activityActionValidator>;

/** Task counts by status, as kept in `taskCounters` and returned to the dashboard. */
export const statusCountsValidator = v.object({
  todo: v.number(),
  in_progress: v.number(),
  done: v.number(),
} satisfies Record<TaskStatus, VFloat64>);
export type StatusCounts = Infer<typeof statusCountsValidator>;
