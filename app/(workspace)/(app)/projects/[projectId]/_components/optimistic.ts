import type { OptimisticLocalStore } from "convex/browser";
import type { FunctionArgs } from "convex/server";

import { api } from "@/convex/_generated/api";
import type { Id } from "@/convex/_generated/dataModel";
import type { TaskStatus } from "@/lib/format";
import type { TaskView } from "@/lib/types";

// Optimistic updates apply at once in the browser and are rolled back by Convex when the mutation
// fails (useAppMutation then shows the refusal); the server's result replaces them when it succeeds.

function adjustCounts<T extends { todo: number; in_progress: number; done: number }>(
  counts: T,
  from: TaskStatus,
  to: TaskStatus,
): T {
  return { ...counts, [from]: Math.max(0, counts[from] - 1), [to]: counts[to] + 1 };
}

/** Moves the counters the board header, project lists and dashboard show, when a task changes column. */
function moveCounts(store: OptimisticLocalStore, projectId: Id<"projects">, from: TaskStatus, to: TaskStatus) {
  const project = store.getQuery(api.projects.get, { id: projectId });
  if (project)
    store.setQuery(api.projects.get, { id: projectId }, { ...project, counts: adjustCounts(project.counts, from, to) });
  for (const { args, value } of store.getAllQueries(api.projects.list)) {
    if (!value?.page.some((p) => p._id === projectId)) continue;
    store.setQuery(api.projects.list, args, {
      ...value,
      page: value.page.map((p) => (p._id === projectId ? { ...p, counts: adjustCounts(p.counts, from, to) } : p)),
    });
  }
  const dashboard = store.getQuery(api.dashboard.counts, {});
  if (dashboard)
    store.setQuery(api.dashboard.counts, {}, { ...dashboard, tasks: adjustCounts(dashboard.tasks, from, to) });
}

/**
 * `tasks.move`: takes the task out of whichever loaded page holds it and puts it before `beforeId`
 * in the target column, or at the end when that column is fully loaded (otherwise its end is not
 * on screen, and the server's answer places it).
 */
export function moveTaskLocally(
  store: OptimisticLocalStore,
  { id, status, beforeId }: FunctionArgs<typeof api.tasks.move>,
) {
  const pages = store.getAllQueries(api.tasks.listByStatus);
  let moving: TaskView | undefined;
  for (const { value } of pages) {
    moving = value?.page.find((task) => task._id === id);
    if (moving) break;
  }
  if (moving === undefined) return;
  const moved: TaskView = { ...moving, status, updatedAt: Date.now() };
  let placed = false;
  for (const { args, value } of pages) {
    if (value === undefined || args.projectId !== moving.projectId) continue;
    const without = value.page.filter((task) => task._id !== id);
    let page = without;
    if (!placed && args.status === status) {
      const at =
        beforeId === undefined ? (value.isDone ? without.length : -1) : without.findIndex((t) => t._id === beforeId);
      if (at >= 0) {
        page = [...without.slice(0, at), moved, ...without.slice(at)];
        placed = true;
      }
    }
    if (page !== without || without.length !== value.page.length) {
      store.setQuery(api.tasks.listByStatus, args, { ...value, page });
    }
  }
  for (const { args, value } of store.getAllQueries(api.tasks.assignedToMe)) {
    if (!value?.page.some((task) => task._id === id)) continue;
    store.setQuery(api.tasks.assignedToMe, args, {
      ...value,
      page: value.page.map((task) => (task._id === id ? { ...task, status } : task)),
    });
  }
  if (moving.status !== status) moveCounts(store, moving.projectId, moving.status, status);
}

/** `tasks.update`: the new title and description everywhere the task is shown. */
export function updateTaskLocally(
  store: OptimisticLocalStore,
  { id, title, description }: FunctionArgs<typeof api.tasks.update>,
) {
  const patch = (task: TaskView): TaskView => {
    if (task._id !== id) return task;
    const next: TaskView = { ...task, updatedAt: Date.now() };
    if (title !== undefined) next.title = title.trim();
    if (description !== undefined) {
      const text = description.trim();
      if (text === "") delete next.description;
      else next.description = text;
    }
    return next;
  };
  for (const { args, value } of store.getAllQueries(api.tasks.listByStatus)) {
    if (value?.page.some((task) => task._id === id)) {
      store.setQuery(api.tasks.listByStatus, args, { ...value, page: value.page.map(patch) });
    }
  }
  for (const { args, value } of store.getAllQueries(api.tasks.assignedToMe)) {
    if (value?.page.some((task) => task._id === id)) {
      store.setQuery(api.tasks.assignedToMe, args, { ...value, page: value.page.map(patch) });
    }
  }
  const single = store.getQuery(api.tasks.get, { id });
  if (single) store.setQuery(api.tasks.get, { id }, patch(single));
}
