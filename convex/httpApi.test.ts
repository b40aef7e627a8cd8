import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { API_CALLERS, API_CASES, type ApiCallerName } from "../tests/convex/api-cases";
import { FUNCTION_CASES, type CallerName, type Outcome } from "../tests/convex/cases";
import { claimsFor, dumpAll, memberClaims, seedWorld, type World } from "../tests/convex/fixtures";
import { allRefs, apiCaller, resolveRef, schemaProblems, send, type Answer } from "../tests/convex/http";
import { newBackend, type Backend } from "../tests/convex/setup";
import { API_PREFIX, DEFAULT_PAGE_SIZE, MAX_BODY_BYTES, STATUS_OF_CODE, type ApiErrorCode } from "./model/http/router";
import { API_ROUTES } from "./model/http/routes";
import { MAX_PAGE_SIZE } from "./model/pagination";

type Schema = Record<string, unknown>;
type OpenApiDocument = Schema & {
  paths: Record<string, Record<string, Schema & { responses: Record<string, Schema> }>>;
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const doc = (await (await newBackend().fetch(`${API_PREFIX}/openapi.json`)).json()) as OpenApiDocument;

const routeKey = (route: { method: string; path: string }) => `${route.method} ${route.path}`;
const splitKey = (key: string) => {
  const [method, path] = key.split(" ") as [string, string];
  return { method, path };
};

/** The documented response of `key` for `status`: its JSON schema, null when it has no body, undefined when undocumented. */
function documented(key: string, status: number): Schema | null | undefined {
  const { method, path } = splitKey(key);
  let response = doc.paths[path]?.[method.toLowerCase()]?.responses[String(status)];
  if (response === undefined) return undefined;
  if (typeof response.$ref === "string") response = resolveRef(doc, response.$ref)!;
  const content = response.content as Record<string, { schema: Schema }> | undefined;
  return content?.["application/json"]?.schema ?? null;
}

/** The answer fits what the document promises for this route and status. */
function expectDocumented(key: string, answer: Answer) {
  const schema = documented(key, answer.status);
  expect(schema, `${key} answered ${answer.status}, which its OpenAPI operation does not list`).not.toBeUndefined();
  if (schema === null) expect(answer.json).toBeNull();
  else expect(schemaProblems(schema!, answer.json, doc)).toEqual([]);
}

/** An error answer in the API's format, whose code maps to its status. */
function expectError(answer: Answer, status: number, code?: ApiErrorCode, message?: RegExp) {
  expect(answer.status).toBe(status);
  const error = (answer.json as { error: { code: ApiErrorCode; message: string } }).error;
  expect(STATUS_OF_CODE[error.code]).toBe(status);
  expect(error.message.length).toBeGreaterThan(10);
  if (code !== undefined) expect(error.code).toBe(code);
  if (message !== undefined) expect(error.message).toMatch(message);
}

async function world(): Promise<{ t: Backend; w: World }> {
  const t = newBackend();
  return { t, w: await seedWorld(t) };
}

describe("HTTP API matrix", () => {
  it("has a row for every route, and every row is a route", () => {
    expect(Object.keys(API_CASES).sort()).toEqual(API_ROUTES.map(routeKey).sort());
  });

  const cells = Object.keys(API_CASES).flatMap((route) => API_CALLERS.map((caller) => ({ route, caller })));

  it.each(cells)("$route as $caller", async ({ route, caller }) => {
    const { t, w } = await world();
    const testCase = API_CASES[route]!;
    const { method } = splitKey(route);
    const { path, body } = testCase.request(w);
    const answer = await send(apiCaller(t, w, caller), method, path, {
      ...(body !== undefined && { body }),
      token: caller !== "noToken",
    });
    expect(answer.status, JSON.stringify(answer.json)).toBe(testCase.expect[caller]);
    expectDocumented(route, answer);
    if (answer.status >= 400) expectError(answer, testCase.expect[caller]);
  });

  it("agrees with the public function each route calls (tests/convex/cases.ts)", () => {
    const statusOf = (outcome: Outcome, success: number) =>
      ({
        ok: success,
        null: 404,
        UNAUTHENTICATED: 401,
        FORBIDDEN: 403,
        NOT_FOUND: 404,
        INVALID: 400,
        CONFLICT: 409,
        RATE_LIMITED: 429,
      })[outcome];
    const asFunctionCaller: Record<ApiCallerName, CallerName> = {
      noToken: "signedOut",
      outsider: "outsider",
      viewer: "viewer",
      member: "member",
      admin: "admin",
    };
    for (const route of API_ROUTES) {
      const testCase = API_CASES[routeKey(route)]!;
      if (testCase.fn === undefined) continue;
      const functionCase = FUNCTION_CASES[testCase.fn];
      expect(functionCase, `${testCase.fn} has no row in tests/convex/cases.ts`).toBeDefined();
      for (const caller of API_CALLERS) {
        expect(
          testCase.expect[caller],
          `${routeKey(route)} as ${caller} should follow ${testCase.fn} (${functionCase!.expect[asFunctionCaller[caller]]})`,
        ).toBe(statusOf(functionCase!.expect[asFunctionCaller[caller]], route.success.status));
      }
    }
  });

  it("documents a permission exactly where the matrix refuses a role", () => {
    for (const route of API_ROUTES) {
      const { expect: statuses } = API_CASES[routeKey(route)]!;
      expect(statuses.viewer === 403, `${routeKey(route)}: viewer`).toBe(route.permission !== undefined);
      expect(statuses.member === 403, `${routeKey(route)}: member`).toBe(route.permission === "org:projects:manage");
    }
  });
});

describe("the OpenAPI document", () => {
  it("is served without a token, as OpenAPI 3.1 with a bearer security scheme", async () => {
    const t = newBackend();
    const answer = await send(t, "GET", "/openapi.json", { token: false });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    expect(answer.json).toMatchObject({
      openapi: "3.1.0",
      servers: [{ url: API_PREFIX }],
      security: [{ bearerAuth: [] }],
      components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    });
  });

  it("resolves every $ref", () => {
    const refs = allRefs(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(resolveRef(doc, ref), ref).toBeDefined();
  });

  it("documents every route the router answers, and nothing else", () => {
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(API_ROUTES.map(routeKey).sort());
    const ids = Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("lists 401 for every route but itself, and the success status the matrix expects of an admin", () => {
    for (const route of API_ROUTES) {
      const key = routeKey(route);
      expect(documented(key, 401) === undefined, key).toBe(route.public === true);
      expect(documented(key, API_CASES[key]!.expect.admin), key).not.toBeUndefined();
    }
  });

  it("answers every documented operation, sent its documented example, with its success status", async () => {
    for (const route of API_ROUTES) {
      const key = routeKey(route);
      const { w } = await world();
      const operation = doc.paths[route.path]![route.method.toLowerCase()]!;
      const content = (operation.requestBody as { content: Record<string, { example?: unknown }> } | undefined)
        ?.content["application/json"];
      const { path, body } = API_CASES[key]!.request(w);
      const example = content?.example;
      const answer = await send(w.a.as.admin, route.method, path, {
        ...((example ?? body) !== undefined && { body: example ?? body }),
      });
      expect(answer.status, `${key}: ${JSON.stringify(answer.json)}`).toBe(route.success.status);
      expectDocumented(key, answer);
    }
  });

  it("answers every undocumented method of a documented path with 405 and the documented ones in Allow", async () => {
    const t = newBackend();
    for (const [path, methods] of Object.entries(doc.paths)) {
      const allowed = Object.keys(methods).map((m) => m.toUpperCase());
      const concrete = path.replace("{id}", "anything");
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => !allowed.includes(m))) {
        const answer = await send(t, method, concrete, { token: false });
        expectError(answer, 405, "METHOD_NOT_ALLOWED");
        expect(answer.headers.get("allow")?.split(", ").sort()).toEqual([...allowed, "OPTIONS"].sort());
      }
    }
  });

  it("does not answer paths it does not document", async () => {
    const t = newBackend();
    for (const path of ["/", "/nope", "/projects/a/b", "/tasks", "/projects//tasks", "/me/extra"]) {
      expectError(await send(t, "GET", path, { token: false }), 404, "NOT_FOUND", /No route/);
    }
  });
});

describe("HTTP API errors, each from a real request", () => {
  /** Sends a refused request and checks nothing was written. */
  async function refused(
    request: (t: Backend, w: World) => Promise<Answer>,
    status: number,
    code: ApiErrorCode,
    message?: RegExp,
  ): Promise<Answer> {
    const { t, w } = await world();
    const before = await dumpAll(t);
    const answer = await request(t, w);
    expectError(answer, status, code, message);
    expect(await dumpAll(t)).toEqual(before);
    return answer;
  }

  it("401 without a token, with a challenge", async () => {
    const answer = await refused(
      (t) => send(t, "GET", "/projects", { token: false }),
      401,
      "UNAUTHENTICATED",
      /Missing bearer token/,
    );
    expect(answer.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("401 for a token that does not verify", async () => {
    const answer = await refused((t) => send(t, "GET", "/projects"), 401, "UNAUTHENTICATED", /invalid or expired/);
    expect(answer.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  });

  it("401 for an Authorization header that is not a bearer token", async () => {
    await refused(
      (t) => send(t, "POST", "/projects", { body: { name: "x" }, headers: { authorization: "Basic dXNlcjpwdw==" } }),
      401,
      "UNAUTHENTICATED",
      /must be `Bearer/,
    );
  });

  it("403 when the role lacks the permission", async () => {
    await refused(
      (_t, w) => send(w.a.as.viewer, "POST", "/projects", { body: { name: "x" } }),
      403,
      "FORBIDDEN",
      /org:projects:manage/,
    );
  });

  it.each(["v2", "flat"] as const)("401 for the %s token of a pending session, even for GET /me", async (shape) => {
    for (const [method, path, body] of [
      ["GET", "/me", undefined],
      ["GET", "/projects", undefined],
      ["POST", "/projects", { name: "x" }],
    ] as const) {
      const answer = await refused(
        (t) => send(t.withIdentity(memberClaims("A", "admin", shape, { sts: "pending" })), method, path, { body }),
        401,
        "UNAUTHENTICATED",
        /sign-in is not finished/,
      );
      expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    }
  });

  it("403 when the token has no active organization", async () => {
    await refused(
      (t) => send(t.withIdentity(claimsFor("user_lonely")), "GET", "/projects"),
      403,
      "FORBIDDEN",
      /No active organization/,
    );
  });

  it("404 for an id that is not an id", async () => {
    await refused((_t, w) => send(w.a.as.admin, "GET", "/projects/not-an-id"), 404, "NOT_FOUND", /Project not found/);
  });

  it("404 for an id of another table", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "PATCH", `/projects/${w.a.taskIds[0]}`, { body: { name: "x" } }),
      404,
      "NOT_FOUND",
    );
  });

  it("404 for an id whose record was deleted", async () => {
    const { t, w } = await world();
    await t.run(async (ctx) => ctx.db.delete("tasks", w.a.taskIds[2]!));
    const before = await dumpAll(t);
    expectError(await send(w.a.as.admin, "GET", `/tasks/${w.a.taskIds[2]}`), 404, "NOT_FOUND", /Task not found/);
    expect(await dumpAll(t)).toEqual(before);
  });

  it("404 for another organization's id", async () => {
    await refused(
      (_t, w) => send(w.b.as.admin, "POST", `/tasks/${w.a.taskIds[0]}/move`, { body: { status: "done" } }),
      404,
      "NOT_FOUND",
    );
  });

  it("404 for an id segment that is not valid percent-encoding", async () => {
    await refused((_t, w) => send(w.a.as.admin, "GET", "/projects/%E0%A4%A"), 404, "NOT_FOUND");
  });

  it("400 for a body that is not JSON", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "POST", "/projects", { raw: "{name: 'x'" }),
      400,
      "INVALID",
      /not valid JSON/,
    );
  });

  it("400 for a JSON body that is not an object", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "POST", "/projects", { body: ["x"] }),
      400,
      "INVALID",
      /must be an object/,
    );
  });

  it("400 for an empty body", async () => {
    await refused((_t, w) => send(w.a.as.admin, "POST", "/projects", { raw: "" }), 400, "INVALID", /empty/);
  });

  it("400 for a field the route does not take, naming the ones it does", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "PATCH", `/tasks/${w.a.taskIds[0]}`, { body: { status: "done" } }),
      400,
      "INVALID",
      /Unknown field "status"\. Allowed fields: "title", "description"/,
    );
  });

  for (const key of ["__proto__", "constructor", "toString"]) {
    it(`400 for a field named ${key}`, async () => {
      await refused(
        (_t, w) => send(w.a.as.admin, "POST", "/projects", { raw: `{"name":"x","${key}":{"a":1}}` }),
        400,
        "INVALID",
        new RegExp(`Unknown field "${key}"`),
      );
    });
  }

  it("400 for a missing field", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "POST", "/projects", { body: {} }),
      400,
      "INVALID",
      /"name" is required/,
    );
  });

  it("400 for a field of the wrong type", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "POST", `/tasks/${w.a.taskIds[0]}/move`, { body: { status: "later" } }),
      400,
      "INVALID",
      /"status" must be one of "todo", "in_progress", "done"/,
    );
  });

  it("400 for a body id that is not a user id", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "POST", `/tasks/${w.a.taskIds[0]}/assign`, { body: { assigneeId: w.a.projectId } }),
      400,
      "INVALID",
      /"assigneeId" is not a user id/,
    );
  });

  it("400 for a PATCH that changes nothing", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "PATCH", `/tasks/${w.a.taskIds[0]}`, { body: {} }),
      400,
      "INVALID",
      /Send "title"/,
    );
  });

  it("400 for what the model refuses (a blank name), with its message", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "POST", "/projects", { body: { name: "   " } }),
      400,
      "INVALID",
      /must not be empty/,
    );
  });

  it("400 for assigning a task to someone outside the organization", async () => {
    await refused(
      (_t, w) =>
        send(w.a.as.admin, "POST", `/tasks/${w.a.taskIds[0]}/assign`, { body: { assigneeId: w.b.users.member } }),
      400,
      "INVALID",
      /members of this organization/,
    );
  });

  for (const limit of ["0", "101", "abc", "2.5", "-1", ""]) {
    it(`400 for limit=${limit}`, async () => {
      await refused(
        (_t, w) => send(w.a.as.admin, "GET", `/projects?limit=${limit}`),
        400,
        "INVALID",
        /"limit" must be a whole number from 1 to 100/,
      );
    });
  }

  it("400 for a query parameter the route does not take", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "GET", "/projects?statuss=archived"),
      400,
      "INVALID",
      /Unknown query parameter "statuss"/,
    );
  });

  it("400 for a query parameter given twice", async () => {
    await refused((_t, w) => send(w.a.as.admin, "GET", "/activity?limit=1&limit=2"), 400, "INVALID", /more than once/);
  });

  it("400 for a status filter that is not a status", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "GET", `/projects/${w.a.projectId}/tasks?status=blocked`),
      400,
      "INVALID",
      /Query parameter "status" must be one of/,
    );
  });

  for (const [name, cursor] of [
    ["not base64url", "!!!"],
    ["not JSON", "bm90IGpzb24"],
    ["empty", ""],
  ] as const) {
    it(`400 for a cursor that is ${name}`, async () => {
      await refused((_t, w) => send(w.a.as.admin, "GET", `/projects?cursor=${cursor}`), 400, "INVALID", /cursor/);
    });
  }

  it("400 for another list's cursor", async () => {
    await refused(
      async (_t, w) => {
        const first = await send(w.a.as.admin, "GET", "/activity?limit=1");
        const cursor = (first.json as { nextCursor: string }).nextCursor;
        expect(cursor).toEqual(expect.any(String));
        return await send(w.a.as.admin, "GET", `/projects?cursor=${cursor}`);
      },
      400,
      "INVALID",
      /cursor is not valid for this list/,
    );
  });

  it("400 for a cursor whose inner position was tampered with", async () => {
    await refused(
      async (_t, w) => {
        const forged = Buffer.from(JSON.stringify({ l: "activity", c: "tampered" })).toString("base64url");
        return await send(w.a.as.admin, "GET", `/activity?cursor=${forged}`);
      },
      400,
      "INVALID",
      /cursor is not valid/,
    );
  });

  it("405 for a method the path does not take, with Allow", async () => {
    const answer = await refused(
      (_t, w) => send(w.a.as.admin, "PUT", `/projects/${w.a.projectId}`, { body: { name: "x" } }),
      405,
      "METHOD_NOT_ALLOWED",
    );
    expect(answer.headers.get("allow")).toBe("GET, PATCH, DELETE, OPTIONS");
  });

  it("409 for a new task in an archived project", async () => {
    await refused(
      (_t, w) => send(w.a.as.member, "POST", `/projects/${w.a.archivedProjectId}/tasks`, { body: { title: "x" } }),
      409,
      "CONFLICT",
      /archived/,
    );
  });

  it("413 for a body over the limit", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "POST", "/projects", { body: { name: "x".repeat(MAX_BODY_BYTES) } }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
  });

  it("415 for a body that is not sent as JSON", async () => {
    await refused(
      (_t, w) =>
        send(w.a.as.admin, "POST", "/projects", { raw: '{"name":"x"}', headers: { "content-type": "text/plain" } }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      /text\/plain/,
    );
  });

  it("415 for a body without a content type", async () => {
    await refused(
      (_t, w) => send(w.a.as.admin, "POST", "/projects", { raw: new TextEncoder().encode('{"name":"x"}') }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      /got none/,
    );
  });

  it("accepts JSON media types with parameters and suffixes", async () => {
    const { w } = await world();
    for (const type of ["application/json; charset=utf-8", "application/merge-patch+json"]) {
      const answer = await send(w.a.as.admin, "POST", "/projects", {
        body: { name: type },
        headers: { "content-type": type },
      });
      expect(answer.status).toBe(201);
    }
  });

  it("never answers 5xx, whatever the body, path segment or query", { timeout: 120_000 }, async () => {
    const { w } = await world();
    const bodyRoutes = API_ROUTES.filter((route) => route.body !== undefined);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyRoutes),
        fc.oneof(
          fc.jsonValue(),
          fc.dictionary(
            fc.constantFrom(
              "name",
              "title",
              "status",
              "assigneeId",
              "beforeId",
              "description",
              "__proto__",
              "constructor",
              "toString",
            ),
            fc.jsonValue(),
          ),
        ),
        async (route, body) => {
          const { path } = API_CASES[routeKey(route)]!.request(w);
          const answer = await send(w.a.as.admin, route.method, path, { body });
          expect(answer.status, JSON.stringify({ route: routeKey(route), body, answer: answer.json })).toBeLessThan(
            500,
          );
        },
      ),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...API_ROUTES), fc.string(), fc.string(), async (route, segment, query) => {
        const path = route.path.replace("{id}", encodeURIComponent(segment)) + `?${query}`;
        const answer = await send(w.a.as.admin, route.method, path, route.body === undefined ? {} : { body: {} });
        expect(answer.status, JSON.stringify({ path, answer: answer.json })).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});

describe("other organizations' ids", () => {
  it("answer exactly as ids that do not exist, for every caller of organization B", async () => {
    const { t, w } = await world();
    // Records of the same tables that no longer exist anywhere.
    const gone = await t.run(async (ctx) => {
      const project = await ctx.db.insert("projects", {
        orgId: w.b.orgId,
        name: "gone",
        status: "active",
        createdBy: w.b.users.admin,
        updatedAt: 0,
      });
      const task = await ctx.db.insert("tasks", {
        orgId: w.b.orgId,
        projectId: project,
        title: "gone",
        status: "todo",
        position: 1,
        createdBy: w.b.users.admin,
        updatedAt: 0,
      });
      await ctx.db.delete("tasks", task);
      await ctx.db.delete("projects", project);
      return { project, task };
    });
    for (const route of API_ROUTES.filter((r) => r.params !== undefined)) {
      const { path, body } = API_CASES[routeKey(route)]!.request(w);
      const missing = path
        .replace(/\/projects\/[^/?]+/, `/projects/${gone.project}`)
        .replace(/\/tasks\/[^/?]+/, `/tasks/${gone.task}`);
      for (const caller of [w.b.as.admin, w.b.as.member, w.b.as.viewer]) {
        const theirs = await send(caller, route.method, path, body === undefined ? {} : { body });
        const nobodys = await send(caller, route.method, missing, body === undefined ? {} : { body });
        expect(theirs.status, routeKey(route)).toBe(nobodys.status);
        expect(theirs.json).toEqual(nobodys.json);
        expect([403, 404]).toContain(theirs.status);
      }
    }
  });

  it("never appear in lists answered to organization B", async () => {
    const { w } = await world();
    const aIds = [w.a.projectId, w.a.archivedProjectId, ...w.a.taskIds];
    for (const path of ["/projects", "/projects?status=archived", "/activity?limit=100", "/me"]) {
      const answer = await send(w.b.as.admin, "GET", path);
      expect(answer.status).toBe(200);
      for (const id of aIds) expect(JSON.stringify(answer.json)).not.toContain(id);
    }
  });
});

describe("CORS", () => {
  const ORIGIN = "https://app.example.com";

  it("allows no origin by default", async () => {
    const { w } = await world();
    const answer = await send(w.a.as.admin, "GET", "/projects", { headers: { origin: ORIGIN } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await send(w.a.as.admin, "OPTIONS", "/projects", {
      token: false,
      headers: { origin: ORIGIN, "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.headers.get("access-control-allow-methods")).toBeNull();
  });

  it("answers a preflight from a listed origin with the path's methods", async () => {
    vi.stubEnv("API_CORS_ORIGINS", `https://other.example.com, ${ORIGIN}/`);
    const t = newBackend();
    const preflight = await send(t, "OPTIONS", "/projects/abc", {
      token: false,
      headers: {
        origin: ORIGIN,
        "access-control-request-method": "PATCH",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.json).toBeNull();
    expect(Object.fromEntries(preflight.headers)).toMatchObject({
      "access-control-allow-origin": ORIGIN,
      "access-control-allow-methods": "GET, PATCH, DELETE, OPTIONS",
      "access-control-allow-headers": "Authorization, Content-Type",
      "access-control-max-age": "600",
      allow: "GET, PATCH, DELETE, OPTIONS",
      vary: "Origin",
    });
  });

  it("lets a listed origin read answers and errors, and names Location", async () => {
    vi.stubEnv("API_CORS_ORIGINS", ORIGIN);
    const { t, w } = await world();
    const created = await send(w.a.as.admin, "POST", "/projects", {
      body: { name: "CORS" },
      headers: { origin: ORIGIN },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(created.headers.get("access-control-expose-headers")).toContain("Location");
    const refused = await send(t, "GET", "/projects", { token: false, headers: { origin: ORIGIN } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(ORIGIN);
  });

  it("gives an unlisted origin nothing to read", async () => {
    vi.stubEnv("API_CORS_ORIGINS", ORIGIN);
    const { w } = await world();
    const answer = await send(w.a.as.admin, "GET", "/projects", { headers: { origin: "https://evil.example.com" } });
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    expect(answer.headers.get("vary")).toBe("Origin");
  });

  it("allows any origin with *, and skips entries that are not origins with a message naming the variable", async () => {
    vi.stubEnv("API_CORS_ORIGINS", "*, not an origin");
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { w } = await world();
    const answer = await send(w.a.as.admin, "GET", "/projects", { headers: { origin: "https://anywhere.example" } });
    expect(answer.headers.get("access-control-allow-origin")).toBe("https://anywhere.example");
    expect(errors.mock.calls.flat().join(" ")).toMatch(/API_CORS_ORIGINS has "not an origin".*npx convex env set/);
  });
});

describe("pagination", () => {
  async function walk(caller: Parameters<typeof send>[0], path: string, limit: number) {
    const seen: { _id: string; status?: string; _creationTime: number }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const separator = path.includes("?") ? "&" : "?";
      const answer = await send(
        caller,
        "GET",
        `${path}${separator}limit=${limit}${cursor === null ? "" : `&cursor=${cursor}`}`,
      );
      expect(answer.status).toBe(200);
      const body = answer.json as { data: (typeof seen)[number][]; nextCursor: string | null };
      expect(body.data.length).toBeLessThanOrEqual(limit);
      seen.push(...body.data);
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 100);
    expect(cursor).toBeNull();
    return seen;
  }

  it("walks every project once, oldest first, with the default page size when no limit is given", async () => {
    const { w } = await world();
    for (let n = 0; n < 30; n += 1) await send(w.a.as.admin, "POST", "/projects", { body: { name: `P${n}` } });
    const all = await walk(w.a.as.admin, "/projects", 7);
    expect(all).toHaveLength(31);
    expect(new Set(all.map((p) => p._id)).size).toBe(31);
    expect(all.map((p) => p._creationTime)).toEqual([...all.map((p) => p._creationTime)].sort((a, b) => a - b));
    const first = await send(w.a.as.admin, "GET", "/projects");
    expect((first.json as { data: unknown[] }).data).toHaveLength(DEFAULT_PAGE_SIZE);
    const big = await send(w.a.as.admin, "GET", `/projects?limit=${MAX_PAGE_SIZE}`);
    expect((big.json as { data: unknown[] }).data).toHaveLength(31);
  });

  it("walks a project's tasks across its columns in board order", async () => {
    const { w } = await world();
    const projectId = w.a.projectId;
    for (const status of ["done", "todo", "in_progress", "todo", "done"] as const) {
      await send(w.a.as.member, "POST", `/projects/${projectId}/tasks`, { body: { title: `T ${status}`, status } });
    }
    for (const limit of [1, 2, 3, 8, 100]) {
      const all = await walk(w.a.as.viewer, `/projects/${projectId}/tasks`, limit);
      expect(all.map((task) => task.status)).toEqual([
        "todo",
        "todo",
        "todo",
        "in_progress",
        "in_progress",
        "done",
        "done",
        "done",
      ]);
      expect(new Set(all.map((task) => task._id)).size).toBe(8);
    }
    const doing = await walk(w.a.as.viewer, `/projects/${projectId}/tasks?status=in_progress`, 1);
    expect(doing.map((task) => task.status)).toEqual(["in_progress", "in_progress"]);
  });

  it("refuses a task cursor for another status filter", async () => {
    const { w } = await world();
    const first = await send(w.a.as.admin, "GET", `/projects/${w.a.projectId}/tasks?limit=1`);
    const cursor = (first.json as { nextCursor: string }).nextCursor;
    expectError(
      await send(w.a.as.admin, "GET", `/projects/${w.a.projectId}/tasks?status=done&cursor=${cursor}`),
      400,
      "INVALID",
    );
  });

  it("walks the activity feed newest first", async () => {
    const { w } = await world();
    const all = await walk(w.a.as.viewer, "/activity", 3);
    expect(all.length).toBeGreaterThan(6);
    expect(all.map((entry) => entry._creationTime)).toEqual([...all.map((e) => e._creationTime)].sort((a, b) => b - a));
  });
});

describe("HTTP API behaviour", () => {
  it("GET /me shows each role's effective role and permissions", async () => {
    const { w } = await world();
    const expected = {
      viewer: [],
      member: ["org:tasks:write"],
      billing: ["org:usage:read"],
      admin: ["org:projects:manage", "org:tasks:write", "org:usage:read"],
    } as const;
    for (const [role, permissions] of Object.entries(expected)) {
      const answer = await send(w.a.as[role as keyof typeof expected], "GET", "/me");
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({
        user: { _id: w.a.users[role as keyof typeof expected], clerkId: `user_A_${role}` },
        organization: { _id: w.a.orgId, clerkId: "org_A", role: `org:${role}`, permissions },
      });
    }
  });

  it("GET /me records a first-time caller from the token, and answers null without an organization", async () => {
    const t = newBackend();
    const fresh = await send(
      t.withIdentity(claimsFor("user_new", { clerkId: "org_new", role: "org:member", slug: "new" })),
      "GET",
      "/me",
    );
    expect(fresh.status).toBe(200);
    expect(fresh.json).toMatchObject({
      user: { clerkId: "user_new" },
      organization: { clerkId: "org_new", role: "org:member" },
    });
    const alone = await send(t.withIdentity(claimsFor("user_alone")), "GET", "/me");
    expect(alone.status).toBe(200);
    expect(alone.json).toMatchObject({ user: { clerkId: "user_alone" }, organization: null });
  });

  it("creates a project whose Location answers it, renames, archives, unarchives and deletes it", async () => {
    const { w } = await world();
    const admin = w.a.as.admin;
    const created = await send(admin, "POST", "/projects", { body: { name: "  Launch  " } });
    expect(created.status).toBe(201);
    const project = created.json as { _id: string; name: string };
    expect(project.name).toBe("Launch");
    const location = created.headers.get("location")!;
    expect(location).toBe(`${API_PREFIX}/projects/${project._id}`);
    expect((await send(admin, "GET", location.slice(API_PREFIX.length))).json).toEqual(project);
    expect((await send(admin, "PATCH", `/projects/${project._id}`, { body: { name: "Launch 2" } })).json).toMatchObject(
      { name: "Launch 2" },
    );
    expect((await send(admin, "POST", `/projects/${project._id}/archive`)).json).toMatchObject({ status: "archived" });
    const archived = (await send(admin, "GET", "/projects?status=archived")).json as { data: { _id: string }[] };
    expect(archived.data.map((p) => p._id)).toContain(project._id);
    expect((await send(admin, "POST", `/projects/${project._id}/unarchive`)).json).toMatchObject({ status: "active" });
    const removed = await send(admin, "DELETE", `/projects/${project._id}`);
    expect(removed.status).toBe(204);
    expect(removed.json).toBeNull();
    expectError(await send(admin, "GET", `/projects/${project._id}`), 404, "NOT_FOUND");
  });

  it("creates, edits, moves, assigns and deletes a task as a member", async () => {
    const { w } = await world();
    const member = w.a.as.member;
    const created = await send(member, "POST", `/projects/${w.a.projectId}/tasks`, {
      body: { title: "Write docs", description: "API", assigneeId: w.a.users.member },
    });
    expect(created.status).toBe(201);
    const task = created.json as { _id: string };
    expect(created.json).toMatchObject({ title: "Write docs", status: "todo", assignee: { _id: w.a.users.member } });
    expect((await send(member, "PATCH", `/tasks/${task._id}`, { body: { description: "" } })).json).not.toHaveProperty(
      "description",
    );
    const moved = await send(member, "POST", `/tasks/${task._id}/move`, {
      body: { status: "done", beforeId: w.a.taskIds[2] },
    });
    expect(moved.json).toMatchObject({ status: "done" });
    const done = (await send(member, "GET", `/projects/${w.a.projectId}/tasks?status=done`)).json as {
      data: { _id: string }[];
    };
    expect(done.data.map((t) => t._id)).toEqual([task._id, w.a.taskIds[2]]);
    expect(
      (await send(member, "POST", `/tasks/${task._id}/assign`, { body: { assigneeId: null } })).json,
    ).toMatchObject({ assignee: null });
    expect((await send(member, "DELETE", `/tasks/${task._id}`)).status).toBe(204);
    expectError(await send(member, "GET", `/tasks/${task._id}`), 404, "NOT_FOUND");
    const feed = (await send(member, "GET", "/activity?limit=5")).json as { data: { action: string }[] };
    expect(feed.data.map((entry) => entry.action)).toEqual([
      "task.deleted",
      "task.unassigned",
      "task.moved",
      "task.edited",
      "task.created",
    ]);
  });

  it("answers HEAD like GET", async () => {
    const { w } = await world();
    const answer = await w.a.as.admin.fetch(`${API_PREFIX}/projects`, {
      method: "HEAD",
      headers: { authorization: "Bearer x" },
    });
    expect(answer.status).toBe(200);
  });

  it("accepts a trailing slash", async () => {
    const { w } = await world();
    expect((await send(w.a.as.admin, "GET", "/projects/")).status).toBe(200);
  });
});
