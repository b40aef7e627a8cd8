/**
 * One row per public function: the arguments that aim it at organization A's data, and what each
 * kind of caller must get. The permission matrix runs every cell; the cross-tenant harness refuses
 * any public function that has no row here.
 */
import type { ErrorCode } from "../../convex/model/errors";
import type { World } from "./fixtures";

/** `ok`: returns normally; `null`: returns null (the record is not visible); a code: throws it. */
export type Outcome = "ok" | "null" | ErrorCode;

/** The callers of the matrix; `outsider` is the admin of organization B, aiming at A's ids. */
export const CALLERS = ["signedOut", "outsider", "viewer", "billing", "member", "admin"] as const;
export type CallerName = (typeof CALLERS)[number];

export type FunctionCase = {
  args: (world: World) => Record<string, unknown>;
  /** Expected outcome per caller, in the order of CALLERS. */
  expect: Record<CallerName, Outcome>;
};

const page = { paginationOpts: { numItems: 10, cursor: null } };
const PRESENCE_SESSION = "tab-0123456789abcdef";

// Shorthands keep the table readable: each row is one line of expectations.
const row = (
  signedOut: Outcome,
  outsider: Outcome,
  viewer: Outcome,
  billing: Outcome,
  member: Outcome,
  admin: Outcome,
): Record<CallerName, Outcome> => ({ signedOut, outsider, viewer, billing, member, admin });
const U = "UNAUTHENTICATED";
const F = "FORBIDDEN";
const N = "NOT_FOUND";

export const FUNCTION_CASES: Record<string, FunctionCase> = {
  //                                                              signedOut outsider viewer  billing member  admin
  "users:me": { args: () => ({}), expect: row(U, "ok", "ok", "ok", "ok", "ok") },
  "users:ensure": { args: () => ({}), expect: row(U, "ok", "ok", "ok", "ok", "ok") },
  "organizations:current": { args: () => ({}), expect: row(U, "ok", "ok", "ok", "ok", "ok") },
  "organizations:members": { args: () => page, expect: row(U, "ok", "ok", "ok", "ok", "ok") },
  "organizations:usage": { args: () => ({}), expect: row(U, "ok", F, "ok", F, "ok") },
  "dashboard:counts": { args: () => ({}), expect: row(U, "ok", "ok", "ok", "ok", "ok") },
  "activity:list": { args: () => page, expect: row(U, "ok", "ok", "ok", "ok", "ok") },
  "projects:list": { args: () => page, expect: row(U, "ok", "ok", "ok", "ok", "ok") },
  "projects:get": { args: (w) => ({ id: w.a.projectId }), expect: row(U, "null", "ok", "ok", "ok", "ok") },
  "projects:create": { args: () => ({ name: "New" }), expect: row(U, "ok", F, F, F, "ok") },
  "projects:rename": {
    args: (w) => ({ id: w.a.projectId, name: "Renamed" }),
    expect: row(U, N, F, F, F, "ok"),
  },
  "projects:archive": { args: (w) => ({ id: w.a.projectId }), expect: row(U, N, F, F, F, "ok") },
  "projects:unarchive": { args: (w) => ({ id: w.a.archivedProjectId }), expect: row(U, N, F, F, F, "ok") },
  "projects:remove": { args: (w) => ({ id: w.a.projectId }), expect: row(U, N, F, F, F, "ok") },
  "tasks:listByStatus": {
    args: (w) => ({ projectId: w.a.projectId, status: "todo", ...page }),
    expect: row(U, N, "ok", "ok", "ok", "ok"),
  },
  "tasks:assignedToMe": { args: () => page, expect: row(U, "ok", "ok", "ok", "ok", "ok") },
  "tasks:get": { args: (w) => ({ id: w.a.taskIds[0] }), expect: row(U, "null", "ok", "ok", "ok", "ok") },
  "tasks:create": {
    args: (w) => ({ projectId: w.a.projectId, title: "Another" }),
    expect: row(U, N, F, F, "ok", "ok"),
  },
  "tasks:update": {
    args: (w) => ({ id: w.a.taskIds[0], title: "Edited", description: "Changed" }),
    expect: row(U, N, F, F, "ok", "ok"),
  },
  "tasks:move": {
    args: (w) => ({ id: w.a.taskIds[0], status: "in_progress", beforeId: w.a.taskIds[1] }),
    expect: row(U, N, F, F, "ok", "ok"),
  },
  "tasks:assign": {
    args: (w) => ({ id: w.a.taskIds[0], assigneeId: w.a.users.viewer }),
    expect: row(U, N, F, F, "ok", "ok"),
  },
  "tasks:remove": { args: (w) => ({ id: w.a.taskIds[0] }), expect: row(U, N, F, F, "ok", "ok") },
  // Being on a board needs read access only: every member, whatever the role.
  "presence:heartbeat": {
    args: (w) => ({ projectId: w.a.projectId, sessionId: PRESENCE_SESSION }),
    expect: row(U, N, "ok", "ok", "ok", "ok"),
  },
  "presence:disconnect": {
    args: (w) => ({ projectId: w.a.projectId, sessionId: PRESENCE_SESSION }),
    expect: row(U, N, "ok", "ok", "ok", "ok"),
  },
  "presence:list": { args: (w) => ({ projectId: w.a.projectId }), expect: row(U, N, "ok", "ok", "ok", "ok") },
};
