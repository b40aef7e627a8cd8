import { v, type Infer, type VFloat64 } from "convex/values";

/** A task's status: the columns of a project's board, in order. */
export const TASK_STATUSES = ["todo", "in_progress", "done"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const taskStatusValidator = v.union(...TASK_STATUSES.map((status) => v.literal(status)));

/** A project's status: the two lists projects are kept in. */
export const PROJECT_STATUSES = ["active", "archived"] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];
export const projectStatusValidator = v.union(...PROJECT_STATUSES.map((status) => v.literal(status)));

/**
 * A project being deleted: set when it is removed (which hides it everywhere but its list) and
 * advanced by every batch of the deletion until the project row goes. `total` is its task count
 * when it was removed; `done` the tasks deleted so far.
 */
export const deletionProgressValidator = v.object({ done: v.number(), total: v.number() });
export type DeletionProgress = Infer<typeof deletionProgressValidator>;

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

/** Task counts by status, as the counters keep them (convex/model/counters.ts) and the dashboard shows them. */
export const statusCountsValidator = v.object({
  todo: v.number(),
  in_progress: v.number(),
  done: v.number(),
} satisfies Record<TaskStatus, VFloat64>);
export type StatusCounts = Infer<typeof statusCountsValidator>;
