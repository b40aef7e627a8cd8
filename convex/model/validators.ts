import { v, type Infer } from "convex/values";

export const taskStatusValidator = v.union(v.literal("todo"), v.literal("in_progress"), v.literal("done"));
export type TaskStatus = Infer<typeof taskStatusValidator>;
export const TASK_STATUSES: readonly TaskStatus[] = ["todo", "in_progress", "done"];

/** `deleting` hides a project at once while its tasks are removed in batches. */
export const projectStatusValidator = v.union(v.literal("active"), v.literal("archived"), v.literal("deleting"));
export type ProjectStatus = Infer<typeof projectStatusValidator>;

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
});
export type StatusCounts = Infer<typeof statusCountsValidator>;
