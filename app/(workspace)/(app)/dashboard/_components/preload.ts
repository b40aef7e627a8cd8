import { preloadQuery, preloadedQueryResult } from "convex/nextjs";

import { api } from "@/convex/_generated/api";
import { getConvexToken } from "@/lib/auth/server";
import { convexUrl } from "@/setup/config";

import { DASHBOARD_ARGS, type PreloadedDashboard } from "./dashboard-args";

/** The server render waits this long for a token and the answers; past it, the page loads on the client. */
const PRELOAD_TIMEOUT_MS = 3_000;

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer within ${ms} ms.`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function load(): Promise<PreloadedDashboard | null> {
  const token = await getConvexToken();
  if (token === null) return null;
  const options = { token, url: convexUrl() };
  const [current, counts, projects, activity, assigned] = await Promise.all([
    preloadQuery(api.organizations.current, {}, options),
    preloadQuery(api.dashboard.counts, {}, options),
    preloadQuery(api.projects.list, DASHBOARD_ARGS.projects, options),
    preloadQuery(api.activity.list, DASHBOARD_ARGS.activity, options),
    preloadQuery(api.tasks.assignedToMe, DASHBOARD_ARGS.assigned, options),
  ]);
  // Not provisioned yet (a first sign-in before `users.ensure`): the answers are empty placeholders.
  if (preloadedQueryResult(current) === null) return null;
  return { current, counts, projects, activity, assigned };
}

/**
 * The dashboard's queries, run on the server with the session's own Convex token for a first paint
 * with data. Null when there is no token, Convex refuses or is slow, or the caller is not
 * provisioned yet: the page then loads on the client as before, and never fails for it.
 */
export async function preloadDashboard(): Promise<PreloadedDashboard | null> {
  try {
    return await withTimeout(load(), PRELOAD_TIMEOUT_MS);
  } catch {
    return null;
  }
}
