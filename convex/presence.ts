import { v } from "convex/values";
import { orgMutation, orgQuery } from "./functions";
import {
  boardPresenceValidator,
  heartbeatResultValidator,
  leaveBoard,
  listViewers,
  markOnBoard,
  NOBODY,
  presenceArgs,
} from "./model/presence";

/**
 * The caller is on the project's board: call on open and then every `intervalMs` it answers,
 * with a random `sessionId` of the tab's own.
 */
export const heartbeat = orgMutation({
  args: presenceArgs,
  returns: heartbeatResultValidator,
  handler: async (ctx, { projectId, sessionId }) => await markOnBoard(ctx, ctx.tenant, projectId, sessionId),
});

/** The caller left the board (closed or hid the tab): the others stop seeing them at once. */
export const disconnect = orgMutation({
  args: presenceArgs,
  returns: v.null(),
  handler: async (ctx, { projectId, sessionId }) => {
    await leaveBoard(ctx, ctx.tenant, projectId, sessionId);
    return null;
  },
});

/** The other members on the project's board now, live. */
export const list = orgQuery({
  args: { projectId: v.id("projects") },
  returns: boardPresenceValidator,
  handler: async (ctx, { projectId }) => (ctx.tenant === null ? NOBODY : await listViewers(ctx, ctx.tenant, projectId)),
});
