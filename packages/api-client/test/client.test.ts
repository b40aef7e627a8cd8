// @vitest-environment node
/**
 * The client against the deployment's own HTTP router on a convex-test backend (convex-test takes
 * the caller from `withIdentity`; the client still sends the bearer token the router asks for):
 * typed data, refusals as the typed error body and as `ApiError`, paging by cursor.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { seedWorld, type World } from "../../../tests/convex/fixtures";
import { newBackend, type Backend } from "../../../tests/convex/setup";
import { ApiError, createApiClient, pages, unwrap, type ApiClient, type Task } from "../src";

type Fetcher = { fetch: (path: string, init?: RequestInit) => Promise<Response> };

let t: Backend;
let world: World;
const sent: Request[] = [];

/** A `fetch` that hands the client's requests to convex-test's router as `caller`. */
function viaBackend(caller: Fetcher): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    sent.push(request.clone());
    const url = new URL(request.url);
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.text();
    return await caller.fetch(url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      ...(body !== undefined && { body }),
    });
  };
}

function clientAs(caller: Fetcher, token: string | null = "token-from-clerk"): ApiClient {
  return createApiClient({
    baseUrl: "http://127.0.0.1:3211/api/v1/",
    getToken: async () => token,
    fetch: viaBackend(caller),
  });
}

beforeAll(async () => {
  t = newBackend();
  world = await seedWorld(t);
});

describe("createApiClient", () => {
  test("sends the token from getToken as a bearer token to the base URL", async () => {
    sent.length = 0;
    await clientAs(world.a.as.viewer, "abc.def.ghi").GET("/me");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe("http://127.0.0.1:3211/api/v1/me");
    expect(sent[0]!.headers.get("authorization")).toBe("Bearer abc.def.ghi");
  });

  test("answers a route's data as its schema types it", async () => {
    const { data, error, response } = await clientAs(world.a.as.viewer).GET("/projects");
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expect(data!.data.map((project) => project.name)).toEqual(["Roadmap A"]);
    expect(data!.data[0]!.counts).toEqual({ todo: 1, in_progress: 1, done: 1 });
    expect(data!.nextCursor).toBeNull();
  });

  test("sends path and query parameters and a JSON body", async () => {
    const api = clientAs(world.a.as.member);
    const created = await api.POST("/projects/{id}/tasks", {
      params: { path: { id: world.a.projectId } },
      body: { title: "From the typed client", status: "in_progress" },
    });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ title: "From the typed client", status: "in_progress" });
    const column = await api.GET("/projects/{id}/tasks", {
      params: { path: { id: world.a.projectId }, query: { status: "in_progress" } },
    });
    expect(column.data!.data.map((task) => task.title)).toEqual(["Build A", "From the typed client"]);
    const removed = await api.DELETE("/tasks/{id}", { params: { path: { id: created.data!._id } } });
    expect(removed.response.status).toBe(204);
  });

  test("a body field the route does not take is refused by name at run time", async () => {
    const api = clientAs(world.a.as.member);
    const { error, response } = await api.PATCH("/tasks/{id}", {
      params: { path: { id: world.a.taskIds[0]! } },
      // Beside a valid field, an extra one passes the compiler (see types.test.ts); the API refuses it.
      body: { title: "Renamed", status: "done" } as { title: string },
    });
    expect(response.status).toBe(400);
    expect(error?.error).toMatchObject({ code: "INVALID", message: expect.stringContaining(`"status"`) });
  });

  test("a refusal is the typed error body, with the API's status", async () => {
    const { data, error, response } = await clientAs(world.a.as.viewer).POST("/projects", { body: { name: "Mine" } });
    expect(data).toBeUndefined();
    expect(response.status).toBe(403);
    expect(error).toEqual({ error: { code: "FORBIDDEN", message: expect.any(String) } });
  });

  test("another organization's id is not found, and no token is unauthenticated", async () => {
    const outsider = await clientAs(world.b.as.admin).GET("/projects/{id}", {
      params: { path: { id: world.a.projectId } },
    });
    expect(outsider.error?.error.code).toBe("NOT_FOUND");
    const anonymous = await clientAs(t, null).GET("/projects");
    expect(anonymous.response.status).toBe(401);
    expect(anonymous.error?.error.code).toBe("UNAUTHENTICATED");
  });
});

describe("unwrap and pages", () => {
  test("unwrap returns the data, or throws ApiError with the status, code and message", async () => {
    const api = clientAs(world.a.as.viewer);
    expect(unwrap(await api.GET("/me")).organization?.role).toBe("org:viewer");
    const refused = api.DELETE("/projects/{id}", { params: { path: { id: world.a.projectId } } }).then(unwrap);
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.toMatchObject({
      status: 403,
      code: "FORBIDDEN",
      body: { error: { code: "FORBIDDEN" } },
    });
  });

  test("unwrap turns an answer that is not the API's into INTERNAL", () => {
    const response = new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" });
    expect(() => unwrap({ error: "<html>Bad gateway</html>", response })).toThrow(
      expect.objectContaining({ status: 502, code: "INTERNAL" }),
    );
  });

  test("pages follows nextCursor to the end, one request per page", async () => {
    const api = clientAs(world.a.as.viewer);
    sent.length = 0;
    const titles: string[] = [];
    let count = 0;
    for await (const page of pages<Task>((cursor) =>
      api.GET("/projects/{id}/tasks", { params: { path: { id: world.a.projectId }, query: { limit: 1, cursor } } }),
    )) {
      count += 1;
      titles.push(...page.map((task) => task.title));
    }
    expect(titles).toEqual(["Plan A", "Build A", "Ship A"]);
    expect(sent).toHaveLength(count);
    expect(new URL(sent[1]!.url).searchParams.get("cursor")).toEqual(expect.any(String));
  });

  test("pages throws the refusal of the page that failed", async () => {
    const api = clientAs(world.b.as.admin);
    const walk = async () => {
      const seen: unknown[] = [];
      for await (const page of pages((cursor) =>
        api.GET("/projects/{id}/tasks", { params: { path: { id: world.a.projectId }, query: { cursor } } }),
      ))
        seen.push(page);
      return seen;
    };
    await expect(walk()).rejects.toMatchObject({ status: 404, code: "NOT_FOUND" });
  });
});
