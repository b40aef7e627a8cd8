// @vitest-environment node
/**
 * The HTTP API over real HTTP on the offline stack: tokens signed by the local identity provider
 * and verified as a deployment verifies them, the demo organizations' data, refusals in the API's
 * error format, CORS, and a write through the API reaching a live subscriber.
 */
import path from "node:path";
import type { FunctionReturnType } from "convex/server";
import { decodeJwt, type JWTPayload } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { signWithProviderKey, simpleClient, startTestStack, watch } from "./test-support";

let stack: Awaited<ReturnType<typeof startTestStack>>;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  stack = await startTestStack("offline-api-");
});
afterAll(async () => {
  await stack.close();
});
afterEach(async () => {
  await stack.convex.setEnv({ API_CORS_ORIGINS: null });
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const org = (slug: string) => stack.idp.directory.listOrganizations().find((o) => o.slug === slug)!;

/** A fresh session token for a directory user with an organization active, as a mobile app would hold. */
async function tokenFor(email: string, slug = "acme"): Promise<string> {
  const session = stack.idp.sessions.create({ email_address: email, organization_id: org(slug).id });
  return await stack.idp.sessions.token(session.id);
}

/** Signs `overrides` over a genuine token's claims with the identity provider's own key. */
async function forged(overrides: JWTPayload): Promise<string> {
  const claims = decodeJwt(await tokenFor("alice.johnson@example.com"));
  return await signWithProviderKey(path.join(stack.dataDir, "idp"), { ...claims, ...overrides });
}

type Call = { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> };

async function call(method: string, route: string, options: Call = {}) {
  const headers: Record<string, string> = {
    ...(options.token !== undefined && { authorization: `Bearer ${options.token}` }),
    ...((options.body !== undefined || options.raw !== undefined) && { "content-type": "application/json" }),
    ...options.headers,
  };
  const response = await fetch(`${stack.convex.siteUrl}/api/v1${route}`, {
    method,
    headers,
    ...((options.body !== undefined || options.raw !== undefined) && {
      body: options.raw ?? JSON.stringify(options.body),
    }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text === "" ? null : (JSON.parse(text) as unknown),
  };
}

type Page<T> = { data: T[]; nextCursor: string | null };
type Project = { _id: string; name: string; status: string };
type Task = { _id: string; title: string; status: string };

const ALICE = "alice.johnson@example.com";
const BEN = "ben.carter@example.com";
const CHLOE = "chloe.nguyen@example.com";
const ERIN = "erin.walsh@example.com";

async function acmeProjects(token: string): Promise<Project[]> {
  const answer = await call("GET", "/projects", { token });
  expect(answer.status).toBe(200);
  return (answer.json as Page<Project>).data;
}

describe("with real tokens from the identity provider", () => {
  test("GET /me answers the caller's organization, role and permissions", async () => {
    const alice = await call("GET", "/me", { token: await tokenFor(ALICE) });
    expect(alice.status).toBe(200);
    expect(alice.json).toMatchObject({
      user: { email: ALICE, clerkId: expect.stringMatching(/^user_/) },
      organization: {
        name: "Acme",
        slug: "acme",
        clerkId: org("acme").id,
        role: "org:admin",
        permissions: ["org:projects:manage", "org:tasks:write", "org:usage:read"],
      },
    });
    const chloe = await call("GET", "/me", { token: await tokenFor(CHLOE) });
    expect(chloe.json).toMatchObject({ organization: { role: "org:viewer", permissions: [] } });
  });

  test("lists the demo projects and walks a project's tasks page by page", async () => {
    const token = await tokenFor(CHLOE);
    const projects = await acmeProjects(token);
    expect(projects.map((p) => p.name)).toEqual(["Website relaunch", "Mobile app"]);
    const website = projects[0]!;
    const titles: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=1${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
      const answer = await call("GET", `/projects/${website._id}/tasks${query}`, { token });
      expect(answer.status).toBe(200);
      const page = answer.json as Page<Task>;
      titles.push(...page.data.map((task) => task.title));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(titles).toEqual([
      "Write the launch announcement",
      "Review the pricing page copy",
      "Migrate blog posts",
      "Pick a colour palette",
    ]);
  });

  test("an admin creates a project, a member adds and moves a task, a viewer is refused, and it is deleted", async () => {
    const [alice, ben, chloe] = [await tokenFor(ALICE), await tokenFor(BEN), await tokenFor(CHLOE)];
    const created = await call("POST", "/projects", { token: alice, body: { name: "From the API" } });
    expect(created.status).toBe(201);
    const project = created.json as Project;
    const location = created.headers.get("location")!;
    expect((await call("GET", location.replace("/api/v1", ""), { token: chloe })).json).toEqual(project);

    const task = await call("POST", `/projects/${project._id}/tasks`, { token: ben, body: { title: "Ship it" } });
    expect(task.status).toBe(201);
    const taskId = (task.json as Task)._id;
    const moved = await call("POST", `/tasks/${taskId}/move`, { token: ben, body: { status: "done" } });
    expect(moved.json).toMatchObject({ status: "done" });

    const refused = await call("PATCH", `/tasks/${taskId}`, { token: chloe, body: { title: "Mine now" } });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect((await call("DELETE", `/projects/${project._id}`, { token: ben })).status).toBe(403);

    expect((await call("DELETE", `/projects/${project._id}`, { token: alice })).status).toBe(204);
    expect((await call("GET", `/tasks/${taskId}`, { token: alice })).status).toBe(404);
  });

  test("another organization's admin gets 404 for Acme's ids, whatever the method", async () => {
    const alice = await tokenFor(ALICE);
    const erin = await tokenFor(ERIN, "globex");
    const project = (await acmeProjects(alice))[0]!;
    const tasks = (await call("GET", `/projects/${project._id}/tasks`, { token: alice })).json as Page<Task>;
    const taskId = tasks.data[0]!._id;
    for (const [method, route, body] of [
      ["GET", `/projects/${project._id}`],
      ["PATCH", `/projects/${project._id}`, { name: "Taken" }],
      ["POST", `/projects/${project._id}/archive`],
      ["DELETE", `/projects/${project._id}`],
      ["GET", `/projects/${project._id}/tasks`],
      ["POST", `/projects/${project._id}/tasks`, { title: "Sneaky" }],
      ["GET", `/tasks/${taskId}`],
      ["POST", `/tasks/${taskId}/move`, { status: "done" }],
      ["DELETE", `/tasks/${taskId}`],
    ] as [string, string, unknown?][]) {
      const answer = await call(method, route, { token: erin, ...(body !== undefined && { body }) });
      expect(answer.status, `${method} ${route}`).toBe(404);
      expect(answer.json).toMatchObject({ error: { code: "NOT_FOUND" } });
    }
    // Nothing changed for Acme.
    expect((await call("GET", `/projects/${project._id}`, { token: alice })).json).toMatchObject({
      name: project.name,
    });
    const globex = await acmeProjects(erin);
    expect(globex.map((p) => p.name)).toEqual(["Quarterly planning"]);
  });

  test("a task created over HTTP reaches a live subscriber", async () => {
    const alice = await tokenFor(ALICE);
    const project = (await acmeProjects(alice))[1]!;
    const session = stack.idp.sessions.create({ email_address: BEN, organization_id: org("acme").id });
    const { client } = simpleClient(stack.convex.url, () => stack.idp.sessions.token(session.id));
    cleanups.push(() => client.close());
    const column = watch<FunctionReturnType<typeof api.tasks.listByStatus>>((onValue, onError) =>
      client.onUpdate(
        api.tasks.listByStatus,
        { projectId: project._id as Id<"projects">, status: "todo", paginationOpts: { numItems: 50, cursor: null } },
        onValue,
        onError,
      ),
    );
    await column.until((v) => v.page.length > 0, "the todo column");
    const created = await call("POST", `/projects/${project._id}/tasks`, { token: alice, body: { title: "Live" } });
    const id = (created.json as Task)._id;
    await column.until((v) => v.page.some((task) => task._id === id), "the task created over HTTP");
  });
});

describe("refused tokens answer 401", () => {
  const cases: [string, () => Promise<string | undefined>][] = [
    ["no token", async () => undefined],
    ["a token that is not a JWT", async () => "not-a-jwt"],
    [
      "an expired token",
      () => forged({ iat: Math.floor(Date.now() / 1000) - 300, exp: Math.floor(Date.now() / 1000) - 120 }),
    ],
    ["a token for another audience", () => forged({ aud: "not-convex" })],
    ["a token from another issuer", () => forged({ iss: "https://issuer.example.com" })],
  ];
  test.each(cases)("%s", async (_name, token) => {
    const value = await token();
    const answer = await call("GET", "/projects", value === undefined ? {} : { token: value });
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  test("while a genuine token for the same claims is accepted", async () => {
    expect((await call("GET", "/projects", { token: await forged({}) })).status).toBe(200);
  });
});

describe("HTTP-level refusals over the wire", () => {
  test("400 for a body that is not JSON, 405 with Allow, 413, 415 and 404 for no route", async () => {
    const token = await tokenFor(ALICE);
    expect((await call("POST", "/projects", { token, raw: "{" })).status).toBe(400);
    const wrongMethod = await call("PUT", "/projects", { token, body: { name: "x" } });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET, POST, OPTIONS");
    const big = await call("POST", "/projects", { token, body: { name: "x".repeat(70_000) } });
    expect(big.status).toBe(413);
    const text = await call("POST", "/projects", {
      token,
      raw: '{"name":"x"}',
      headers: { "content-type": "text/plain" },
    });
    expect(text.status).toBe(415);
    const nowhere = await call("GET", "/nowhere", { token });
    expect(nowhere.status).toBe(404);
    expect(nowhere.json).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  test("CORS: a listed origin gets its preflight answered; others get no CORS headers", async () => {
    // A deployment variable, as `npx convex env set API_CORS_ORIGINS …` sets it.
    await stack.convex.setEnv({ API_CORS_ORIGINS: "http://localhost:8081" });
    const preflight = await call("OPTIONS", "/projects", {
      headers: { origin: "http://localhost:8081", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:8081");
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET, POST, OPTIONS");
    const other = await call("OPTIONS", "/projects", {
      headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("the OpenAPI document is served without a token", async () => {
    const answer = await call("GET", "/openapi.json");
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ openapi: "3.1.0", servers: [{ url: "/api/v1" }] });
  });
});
