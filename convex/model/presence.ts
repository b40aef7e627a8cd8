import { Presence } from "@convex-dev/presence";
import { v, type Infer } from "convex/values";
import { components } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import type { Tenant } from "./auth/tenant";
import { appError } from "./errors";
import { getProjectOrThrow } from "./projects";
import { personValidator, toPerson, type Person } from "./users";

/**
 * Who is on a project's board right now, kept by Convex's presence component. A room is one
 * project of one organization; its id, the user and the session key are made here from the
 * verified caller, never taken from the client.
 */
const presence = new Presence<string, Id<"users">>(components.presence);

/**
 * How often an open board sends a heartbeat. The component drops a session that misses 2.5 of
 * them (12.5 s), so a board that closed without saying so disappears for the others by then.
 */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** Other members returned with name and picture; the rest are only counted. */
export const VIEWERS_LISTED = 5;
/** Other members counted per board; past it `more` is set. Bounds the rows a list reads. */
export const VIEWERS_COUNTED = 50;

/** A browser tab's own random key for its session on one board. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export const presenceArgs = { projectId: v.id("projects"), sessionId: v.string() };

export const heartbeatResultValidator = v.object({ intervalMs: v.number() });

/** The other members on a board, as the board header and the dashboard show them. */
export const boardPresenceValidator = v.object({
  /** The first VIEWERS_LISTED of them, in the order they arrived. */
  viewers: v.array(personValidator),
  /** How many there are, counted up to VIEWERS_COUNTED. */
  total: v.number(),
  /** True when there are more than `total`. */
  more: v.boolean(),
});
export type BoardPresence = Infer<typeof boardPresenceValidator>;

/** Nobody else on the board. */
export const NOBODY: BoardPresence = { viewers: [], total: 0, more: false };

function roomOf(tenant: Tenant, projectId: Id<"projects">): string {
  return `${tenant.org._id}:${projectId}`;
}

/** Namespaced by user and room, so one caller's key can never name another's session. */
function sessionOf(tenant: Tenant, room: string, sessionId: string): string {
  if (!SESSION_ID_PATTERN.test(sessionId)) {
    throw appError("INVALID", "Session id must be 16 to 64 letters, digits, '-' or '_'.");
  }
  return `${tenant.user._id}|${room}|${sessionId}`;
}

/**
 * Marks the caller as on the project's board for one more heartbeat interval (any member may: it
 * only needs read access). Throws NOT_FOUND for a project outside the caller's organization.
 */
export async function markOnBoard(ctx: MutationCtx, tenant: Tenant, projectId: Id<"projects">, sessionId: string) {
  await getProjectOrThrow(ctx.db, tenant, projectId);
  const room = roomOf(tenant, projectId);
  await presence.heartbeat(ctx, room, tenant.user._id, sessionOf(tenant, room, sessionId), HEARTBEAT_INTERVAL_MS);
  return { intervalMs: HEARTBEAT_INTERVAL_MS };
}

/**
 * Ends the caller's session on the board at once (the tab was closed or hidden). The component
 * disconnects by a session token only its heartbeat returns, so the token is fetched with one
 * more heartbeat of the same session inside this transaction; a session already gone is created
 * and ended in the same step, which leaves the caller offline either way.
 */
export async function leaveBoard(ctx: MutationCtx, tenant: Tenant, projectId: Id<"projects">, sessionId: string) {
  await getProjectOrThrow(ctx.db, tenant, projectId);
  const room = roomOf(tenant, projectId);
  const session = sessionOf(tenant, room, sessionId);
  const { sessionToken } = await presence.heartbeat(ctx, room, tenant.user._id, session, HEARTBEAT_INTERVAL_MS);
  await presence.disconnect(ctx, sessionToken);
}

/**
 * The other members on the project's board now (the caller is left out). Reads at most
 * VIEWERS_COUNTED + 1 presence rows and VIEWERS_LISTED users. A member whose user was deleted
 * since their last heartbeat is left out; their session ends within the timeout anyway.
 */
export async function listViewers(ctx: QueryCtx, tenant: Tenant, projectId: Id<"projects">): Promise<BoardPresence> {
  await getProjectOrThrow(ctx.db, tenant, projectId);
  const online = await presence.listRoom(ctx, roomOf(tenant, projectId), true, VIEWERS_COUNTED + 1);
  const others = online.filter((entry) => entry.userId !== tenant.user._id);
  const viewers: Person[] = [];
  let gone = 0;
  for (const entry of others.slice(0, VIEWERS_COUNTED)) {
    if (viewers.length === VIEWERS_LISTED) break;
    const id = ctx.db.normalizeId("users", entry.userId);
    const user = id === null ? null : await ctx.db.get("users", id);
    if (user === null || user.deletedAt !== undefined) gone += 1;
    else viewers.push(toPerson(user));
  }
  if (others.length === 0) return NOBODY;
  return {
    viewers,
    total: Math.min(others.length, VIEWERS_COUNTED) - gone,
    more: others.length > VIEWERS_COUNTED,
  };
}
