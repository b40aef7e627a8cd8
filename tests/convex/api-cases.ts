/**
 * One row per HTTP API route: the request that aims it at organization A's data, and the status
 * each kind of caller must get. The HTTP matrix runs every cell; a route without a row fails it.
 */
import type { World } from "./fixtures";

/** `outsider` is the admin of organization B (every permission, none of them in A). */
export const API_CALLERS = ["noToken", "outsider", "viewer", "member", "admin"] as const;
export type ApiCallerName = (typeof API_CALLERS)[number];

export type ApiCase = {
  /** Path under /api/v1 (with its query) and JSON body. */
  request: (world: World) => { path: string; body?: unknown };
  /** Expected status per caller, in the order of API_CALLERS. */
  expect: Record<ApiCallerName, number>;
  /** The public function whose row in tests/convex/cases.ts this route must agree with. */
  fn?: string;
};

// Shorthand keeps the table readable: each row is one line of statuses.
const row = (noToken: number, outsider: number, viewer: number, member: number, admin: number) => ({
  noToken,
  outsider,
  viewer,
  member,
  admin,
});

export const API_CASES: Record<string, ApiCase> = {
  //                                                                       noToken outsider viewer member admin
  "GET /me": { request: () => ({ path: "/me" }), fn: "users:ensure", expect: row(401, 200, 200, 200, 200) },
  "GET /openapi.json": { request: () => ({ path: "/openapi.json" }), expect: row(200, 200, 200, 200, 200) },
  "GET /projects": {
    request: () => ({ path: "/projects?limit=10" }),
    fn: "projects:list",
    expect: row(401, 200, 200, 200, 200),
  },
  "POST /projects": {
    request: () => ({ path: "/projects", body: { name: "New" } }),
    fn: "projects:create",
    expect: row(401, 201, 403, 403, 201),
  },
  "GET /projects/{id}": {
    request: (w) => ({ path: `/projects/${w.a.projectId}` }),
    fn: "projects:get",
    expect: row(401, 404, 200, 200, 200),
  },
  "PATCH /projects/{id}": {
    request: (w) => ({ path: `/projects/${w.a.projectId}`, body: { name: "Renamed" } }),
    fn: "projects:rename",
    expect: row(401, 404, 403, 403, 200),
  },
  "DELETE /projects/{id}": {
    request: (w) => ({ path: `/projects/${w.a.projectId}` }),
    fn: "projects:remove",
    expect: row(401, 404, 403, 403, 204),
  },
  "POST /projects/{id}/archive": {
    request: (w) => ({ path: `/projects/${w.a.projectId}/archive` }),
    fn: "projects:archive",
    expect: row(401, 404, 403, 403, 200),
  },
  "POST /projects/{id}/unarchive": {
    request: (w) => ({ path: `/projects/${w.a.archivedProjectId}/unarchive` }),
    fn: "projects:unarchive",
    expect: row(401, 404, 403, 403, 200),
  },
  "GET /projects/{id}/tasks": {
    request: (w) => ({ path: `/projects/${w.a.projectId}/tasks` }),
    fn: "tasks:listByStatus",
    expect: row(401, 404, 200, 200, 200),
  },
  "POST /projects/{id}/tasks": {
    request: (w) => ({ path: `/projects/${w.a.projectId}/tasks`, body: { title: "Another" } }),
    fn: "tasks:create",
    expect: row(401, 404, 403, 201, 201),
  },
  "GET /tasks/{id}": {
    request: (w) => ({ path: `/tasks/${w.a.taskIds[0]}` }),
    fn: "tasks:get",
    expect: row(401, 404, 200, 200, 200),
  },
  "PATCH /tasks/{id}": {
    request: (w) => ({ path: `/tasks/${w.a.taskIds[0]}`, body: { title: "Edited", description: "Changed" } }),
    fn: "tasks:update",
    expect: row(401, 404, 403, 200, 200),
  },
  "DELETE /tasks/{id}": {
    request: (w) => ({ path: `/tasks/${w.a.taskIds[0]}` }),
    fn: "tasks:remove",
    expect: row(401, 404, 403, 204, 204),
  },
  "POST /tasks/{id}/move": {
    request: (w) => ({
      path: `/tasks/${w.a.taskIds[0]}/move`,
      body: { status: "in_progress", beforeId: w.a.taskIds[1] },
    }),
    fn: "tasks:move",
    expect: row(401, 404, 403, 200, 200),
  },
  "POST /tasks/{id}/assign": {
    request: (w) => ({ path: `/tasks/${w.a.taskIds[0]}/assign`, body: { assigneeId: w.a.users.viewer } }),
    fn: "tasks:assign",
    expect: row(401, 404, 403, 200, 200),
  },
  "GET /activity": {
    request: () => ({ path: "/activity?limit=10" }),
    fn: "activity:list",
    expect: row(401, 200, 200, 200, 200),
  },
};
