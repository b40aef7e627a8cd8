/**
 * What the client's types refuse, checked by the compiler (`npx tsc --noEmit -p .`): each
 * `@ts-expect-error` line must be an error, or the type-check fails on the unused directive. The
 * calls sit in a function that is never run; the test itself only proves the file was compiled.
 * Not caught here: an extra field beside valid ones (openapi-fetch infers the body generically, so
 * there is no excess-property check); the API refuses those at run time (see client.test.ts).
 */
import { expectTypeOf, test } from "vitest";
import { createApiClient, type ApiErrorBody, type Me, type Page, type Project, type Task } from "../src";

const api = createApiClient({ baseUrl: "http://127.0.0.1:3211/api/v1", getToken: () => "token" });

async function wrongRequests() {
  // @ts-expect-error: no such path
  await api.GET("/project");
  // @ts-expect-error: /me takes GET only
  await api.DELETE("/me");
  // @ts-expect-error: the path's {id} is required
  await api.GET("/projects/{id}");
  // @ts-expect-error: the body's `name` is required
  await api.POST("/projects", { body: {} });
  // @ts-expect-error: `name` is a string
  await api.POST("/projects", { body: { name: 42 } });
  // @ts-expect-error: not a task status
  await api.POST("/tasks/{id}/move", { params: { path: { id: "t" } }, body: { status: "doing" } });
  // @ts-expect-error: a title is a string
  await api.PATCH("/tasks/{id}", { params: { path: { id: "t" } }, body: { title: 5 } });
  // @ts-expect-error: an assignee is a user id or null
  await api.POST("/tasks/{id}/assign", { params: { path: { id: "t" } }, body: { assigneeId: 7 } });
  // @ts-expect-error: `limit` is a number
  await api.GET("/projects", { params: { query: { limit: "25" } } });
  // @ts-expect-error: the project list filters by `active` or `archived` only
  await api.GET("/projects", { params: { query: { status: "deleted" } } });
  // @ts-expect-error: no organization (or user) id to act as: the token decides
  await api.GET("/projects", { params: { query: { orgId: "org_123" } } });
}

async function rightRequests() {
  const projects = await api.GET("/projects", { params: { query: { status: "archived", limit: 10 } } });
  expectTypeOf(projects.data).toEqualTypeOf<Page<Project> | undefined>();
  expectTypeOf(projects.error).toEqualTypeOf<ApiErrorBody | undefined>();

  const task = await api.GET("/tasks/{id}", { params: { path: { id: "t" } } });
  expectTypeOf(task.data).toEqualTypeOf<Task | undefined>();
  expectTypeOf(task.error).toEqualTypeOf<ApiErrorBody | undefined>();
  if (task.error) expectTypeOf(task.error.error.code).toEqualTypeOf<ApiErrorBody["error"]["code"]>();

  const me = await api.GET("/me");
  expectTypeOf(me.data).toEqualTypeOf<Me | undefined>();
  expectTypeOf<Task["status"]>().toEqualTypeOf<"todo" | "in_progress" | "done">();
}

test("the client's types reject wrong requests (checked by tsc)", () => {
  expectTypeOf(wrongRequests).toBeFunction();
  expectTypeOf(rightRequests).toBeFunction();
});
