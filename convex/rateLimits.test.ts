import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { claimsFor, dumpAll, memberClaims, seedWorld, type World } from "../tests/convex/fixtures";
import { resolveRef, schemaProblems, send, type Answer } from "../tests/convex/http";
import { newBackend, type Backend } from "../tests/convex/setup";
import { api } from "./_generated/api";
import { parseRateLimit, rateLimitFromEnv } from "./model/env";
import { API_PREFIX } from "./model/http/router";
import { API_ROUTES } from "./model/http/routes";
import { RATE_LIMIT_DEFAULTS, tokenKey } from "./model/rateLimits";

type Schema = Record<string, unknown>;

const START = new Date("2030-01-07T09:00:00Z").getTime();

beforeEach(() => {
  // The rate limiter reads the time with Date.now(), in the same process as convex-test.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(START);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** Moves the clock on by `ms`. */
function wait(ms: number) {
  vi.setSystemTime(Date.now() + ms);
}

async function world(): Promise<{ t: Backend; w: World }> {
  const t = newBackend();
  return { t, w: await seedWorld(t) };
}

/** A caller of organization `key` in `role`, signed in with session `sid`. */
function session(t: Backend, key: string, role: "admin" | "member" | "viewer", sid: string) {
  return t.withIdentity(memberClaims(key, role, "v2", { sid }));
}

const doc = (await (await newBackend().fetch(`${API_PREFIX}/openapi.json`)).json()) as Schema & {
  paths: Record<string, Record<string, { responses: Record<string, Schema> }>>;
};

/** A 429 in the API's error format, documented for the route, with its whole-second Retry-After. */
function expectRateLimited(answer: Answer, retryAfter: number, message: RegExp) {
  expect(answer.status, JSON.stringify(answer.json)).toBe(429);
  expect(answer.headers.get("retry-after")).toBe(String(retryAfter));
  expect(answer.json).toEqual({ error: { code: "RATE_LIMITED", message: expect.stringMatching(message) } });
  const response = resolveRef(doc, doc.paths["/projects"]!.get!.responses["429"]!.$ref as string)!;
  const content = response.content as Record<string, { schema: Schema }>;
  expect(schemaProblems(content["application/json"]!.schema, answer.json, doc)).toEqual([]);
}

describe("rate limit variables", () => {
  const FALLBACK = { count: 600, periodMs: 60_000, period: "minute" } as const;

  it.each([
    ["120/minute", { count: 120, periodMs: 60_000, period: "minute" }],
    ["10/s", { count: 10, periodMs: 1000, period: "second" }],
    [" 30 / Seconds ", { count: 30, periodMs: 1000, period: "second" }],
    ["5000/hour", { count: 5000, periodMs: 3_600_000, period: "hour" }],
    ["100000/day", { count: 100_000, periodMs: 86_400_000, period: "day" }],
    ["90", { count: 90, periodMs: 60_000, period: "minute" }],
    ["off", null],
    ["", FALLBACK],
    [undefined, FALLBACK],
  ])("reads %j", (raw, setting) => {
    expect(parseRateLimit("RATE_LIMIT_API_PER_TOKEN", raw, FALLBACK)).toEqual({ ok: true, setting });
  });

  it.each(["abc", "0/minute", "10/ms", "10/fortnight", "1.5/minute", "-1", "2000000/minute", "10 per minute", "/m"])(
    "refuses %j, naming the variable, the format and the fix",
    (raw) => {
      const parsed = parseRateLimit("RATE_LIMIT_WRITES_PER_USER", raw, FALLBACK);
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.problem.variable).toBe("RATE_LIMIT_WRITES_PER_USER");
      expect(parsed.problem.message).toContain(`RATE_LIMIT_WRITES_PER_USER is ${JSON.stringify(raw)}`);
      expect(parsed.problem.message).toContain('"<count>/<period>" with a period of second, minute, hour or day');
      expect(parsed.problem.message).toContain("`npx convex env set RATE_LIMIT_WRITES_PER_USER 600/minute`");
    },
  );

  it("logs a value it cannot read and keeps the default", () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    vi.stubEnv("RATE_LIMIT_API_PER_ORG", "lots");
    expect(rateLimitFromEnv("RATE_LIMIT_API_PER_ORG", RATE_LIMIT_DEFAULTS.apiPerOrg)).toEqual(
      RATE_LIMIT_DEFAULTS.apiPerOrg,
    );
    expect(errors.mock.calls.flat().join(" ")).toMatch(/RATE_LIMIT_API_PER_ORG is "lots", which is not a rate limit/);
  });
});

describe("HTTP API rate limits", () => {
  beforeEach(() => {
    vi.stubEnv("RATE_LIMIT_API_PER_TOKEN", "3/minute");
    vi.stubEnv("RATE_LIMIT_API_PER_ORG", "5/minute");
  });

  it("answers 429 with Retry-After past a token's burst, while another token of the organization passes", async () => {
    const { t } = await world();
    const phone = session(t, "A", "member", "sess_phone");
    for (let i = 0; i < 3; i += 1) expect((await send(phone, "GET", "/projects")).status).toBe(200);
    // 3 a minute: the next one is earned 20 s after the last was spent.
    expectRateLimited(await send(phone, "GET", "/projects"), 20, /from this session \(at most 3\/minute\)/);
    expect((await send(session(t, "A", "member", "sess_laptop"), "GET", "/projects")).status).toBe(200);
    expect((await send(session(t, "A", "admin", "sess_admin"), "GET", "/projects")).status).toBe(200);
  });

  it("refuses before the route's work: a refused write changes nothing", async () => {
    const { t, w } = await world();
    const script = session(t, "A", "admin", "sess_script");
    for (let i = 0; i < 3; i += 1) {
      expect((await send(script, "POST", "/projects", { body: { name: `P${i}` } })).status).toBe(201);
    }
    const before = await dumpAll(t);
    expectRateLimited(await send(script, "POST", "/projects", { body: { name: "P3" } }), 20, /from this session/);
    expectRateLimited(await send(script, "DELETE", `/projects/${w.a.projectId}`), 20, /from this session/);
    expect(await dumpAll(t)).toEqual(before);
  });

  it("recovers once Retry-After has passed, and not before", async () => {
    const { t } = await world();
    const phone = session(t, "A", "member", "sess_phone");
    for (let i = 0; i < 3; i += 1) await send(phone, "GET", "/me");
    const refused = await send(phone, "GET", "/me");
    expectRateLimited(refused, 20, /Try again in 20 seconds\./);
    wait(19_000);
    expectRateLimited(await send(phone, "GET", "/me"), 1, /Try again in 1 second\./);
    wait(1000);
    expect((await send(phone, "GET", "/me")).status).toBe(200);
    expect((await send(phone, "GET", "/me")).status).toBe(429);
    // A whole minute refills the burst.
    wait(60_000);
    for (let i = 0; i < 3; i += 1) expect((await send(phone, "GET", "/me")).status).toBe(200);
  });

  it("rounds Retry-After up to whole seconds", async () => {
    vi.stubEnv("RATE_LIMIT_API_PER_TOKEN", "7/minute");
    vi.stubEnv("RATE_LIMIT_API_PER_ORG", "off");
    const { t } = await world();
    const phone = session(t, "A", "viewer", "sess_phone");
    for (let i = 0; i < 7; i += 1) await send(phone, "GET", "/activity");
    // 60 / 7 = 8.57 s to earn the next request.
    expectRateLimited(await send(phone, "GET", "/activity"), 9, /Try again in 9 seconds/);
  });

  it("refuses many tokens of one organization together past its limit, and no other organization", async () => {
    const { t } = await world();
    const tokens = ["sess_1", "sess_2", "sess_3"].map((sid) => session(t, "A", "member", sid));
    // 2 + 2 + 1: no token reaches its own limit of 3, the organization reaches its 5.
    for (const [i, token] of tokens.entries()) {
      for (let n = 0; n < (i < 2 ? 2 : 1); n += 1) expect((await send(token, "GET", "/projects")).status).toBe(200);
    }
    for (const token of tokens) {
      // 5 a minute: the next one is earned 12 s after the last was spent.
      expectRateLimited(await send(token, "GET", "/projects"), 12, /for this organization \(at most 5\/minute\)/);
    }
    expect((await send(session(t, "A", "admin", "sess_new"), "GET", "/projects")).status).toBe(429);
    for (const role of ["admin", "member", "viewer"] as const) {
      expect((await send(session(t, "B", role, `sess_b_${role}`), "GET", "/projects")).status).toBe(200);
    }
    wait(12_000);
    expect((await send(tokens[2]!, "GET", "/projects")).status).toBe(200);
  });

  it("keeps a session's allowance apart per organization", async () => {
    const { t } = await world();
    // One person, one session, switching the active organization (a member of both).
    const inA = t.withIdentity(claimsFor("user_ben", { clerkId: "org_A", role: "org:member" }, "v2", { sid: "sess" }));
    const inB = t.withIdentity(claimsFor("user_ben", { clerkId: "org_B", role: "org:member" }, "v2", { sid: "sess" }));
    for (let i = 0; i < 3; i += 1) expect((await send(inA, "GET", "/me")).status).toBe(200);
    expect((await send(inA, "GET", "/me")).status).toBe(429);
    expect((await send(inB, "GET", "/me")).status).toBe(200);
  });

  it("keys a token without a session id by its user, issuer and authorized party", async () => {
    const { t } = await world();
    const claims = (azp: string) => memberClaims("A", "member", "template", { azp });
    const app = t.withIdentity(claims("https://app.example.com"));
    for (let i = 0; i < 3; i += 1) expect((await send(app, "GET", "/projects")).status).toBe(200);
    expectRateLimited(await send(t.withIdentity(claims("https://app.example.com")), "GET", "/projects"), 20, /session/);
    expect((await send(t.withIdentity(claims("https://admin.example.com")), "GET", "/projects")).status).toBe(200);
    expect(tokenKey({ ...claims("x"), sid: "sess_9" } as never)).toBe("sid:sess_9");
  });

  it("leaves the OpenAPI document and requests without a token alone", async () => {
    const t = newBackend();
    for (let i = 0; i < 10; i += 1) {
      expect((await send(t, "GET", "/openapi.json", { token: false })).status).toBe(200);
      expect((await send(t, "GET", "/projects", { token: false })).status).toBe(401);
    }
  });

  it("applies no limit set to off", async () => {
    vi.stubEnv("RATE_LIMIT_API_PER_TOKEN", "off");
    vi.stubEnv("RATE_LIMIT_API_PER_ORG", "off");
    const { t } = await world();
    const phone = session(t, "A", "viewer", "sess_phone");
    // Past the default burst of a token (the organization's is larger: "off" reads the same for both).
    for (let i = 0; i <= RATE_LIMIT_DEFAULTS.apiPerToken!.count; i += 1) {
      const answer = await send(phone, "GET", "/activity?limit=1");
      expect(answer.status).toBe(200);
    }
  });

  it("answers the per-user write limit with 429 and Retry-After too", async () => {
    vi.stubEnv("RATE_LIMIT_API_PER_TOKEN", "off");
    vi.stubEnv("RATE_LIMIT_API_PER_ORG", "off");
    const { t, w } = await world();
    vi.stubEnv("RATE_LIMIT_WRITES_PER_USER", "2/minute");
    const member = session(t, "A", "member", "sess_phone");
    const create = () => send(member, "POST", `/projects/${w.a.projectId}/tasks`, { body: { title: "Call" } });
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(201);
    expectRateLimited(await create(), 30, /^You're doing that too often\. Try again in 30 seconds\.$/);
  });

  it("documents 429 with Retry-After for every route that takes a token", () => {
    const rateLimited = (doc.components as { responses: Record<string, Schema> }).responses.RateLimited!;
    expect(rateLimited.headers).toMatchObject({ "Retry-After": { required: true, schema: { type: "integer" } } });
    for (const route of API_ROUTES) {
      const response = doc.paths[route.path]![route.method.toLowerCase()]!.responses["429"];
      if (route.public === true) expect(response, route.path).toBeUndefined();
      else expect(response, `${route.method} ${route.path}`).toEqual({ $ref: "#/components/responses/RateLimited" });
    }
  });
});

describe("web write rate limits", () => {
  it("refuses a user's writes past the limit with the message and code, and nobody else's", async () => {
    const { t, w } = await world();
    vi.stubEnv("RATE_LIMIT_WRITES_PER_USER", "3/minute");
    const member = w.a.as.member;
    await member.mutation(api.tasks.create, { projectId: w.a.projectId, title: "One" });
    await member.mutation(api.tasks.update, { id: w.a.taskIds[0]!, title: "Two" });
    await member.mutation(api.tasks.move, { id: w.a.taskIds[0]!, status: "done" });
    const before = await dumpAll(t);
    const refused = member.mutation(api.tasks.assign, { id: w.a.taskIds[0]!, assigneeId: null });
    await expect(refused).rejects.toMatchObject({
      data: {
        code: "RATE_LIMITED",
        message: "You're doing that too often. Try again in 20 seconds.",
        retryAfterMs: 20_000,
      },
    });
    expect(await dumpAll(t)).toEqual(before);
    await w.a.as.admin.mutation(api.projects.rename, { id: w.a.projectId, name: "Still works" });
    await w.b.as.member.mutation(api.tasks.create, { projectId: w.b.projectId, title: "Elsewhere" });
  });

  it("limits every write the web app calls", async () => {
    const { w } = await world();
    vi.stubEnv("RATE_LIMIT_WRITES_PER_USER", "1/hour");
    const admin = w.a.as.admin;
    const fresh = await admin.mutation(api.projects.create, { name: "Spent" });
    const writes = [
      () => admin.mutation(api.projects.create, { name: "x" }),
      () => admin.mutation(api.projects.rename, { id: fresh, name: "x" }),
      () => admin.mutation(api.projects.archive, { id: fresh }),
      () => admin.mutation(api.projects.unarchive, { id: w.a.archivedProjectId }),
      () => admin.mutation(api.projects.remove, { id: fresh }),
      () => admin.mutation(api.tasks.create, { projectId: w.a.projectId, title: "x" }),
      () => admin.mutation(api.tasks.update, { id: w.a.taskIds[0]!, title: "x" }),
      () => admin.mutation(api.tasks.move, { id: w.a.taskIds[0]!, status: "done" }),
      () => admin.mutation(api.tasks.assign, { id: w.a.taskIds[0]!, assigneeId: null }),
      () => admin.mutation(api.tasks.remove, { id: w.a.taskIds[0]! }),
    ];
    for (const write of writes) {
      await expect(write()).rejects.toMatchObject({ data: { code: "RATE_LIMITED", message: /Try again in/ } });
    }
  });

  it("lets the writes through again after the wait it named", async () => {
    const { w } = await world();
    vi.stubEnv("RATE_LIMIT_WRITES_PER_USER", "2/minute");
    const member = w.a.as.member;
    const create = (title: string) => member.mutation(api.tasks.create, { projectId: w.a.projectId, title });
    await create("One");
    await create("Two");
    const error = await create("Three").catch((e: unknown) => e);
    const { retryAfterMs } = (error as { data: { retryAfterMs: number } }).data;
    expect(retryAfterMs).toBe(30_000);
    wait(retryAfterMs - 1000);
    await expect(create("Three")).rejects.toMatchObject({ data: { code: "RATE_LIMITED" } });
    wait(1000);
    await expect(create("Three")).resolves.toEqual(expect.any(String));
  });

  it("keeps a user's allowance apart per organization", async () => {
    const t = newBackend();
    await seedWorld(t);
    vi.stubEnv("RATE_LIMIT_WRITES_PER_USER", "1/minute");
    // A person who is a member of both organizations.
    const inA = t.withIdentity(claimsFor("user_ben", { clerkId: "org_A", role: "org:admin" }));
    const inB = t.withIdentity(claimsFor("user_ben", { clerkId: "org_B", role: "org:admin" }));
    await inA.mutation(api.projects.create, { name: "Ben's A" });
    await expect(inA.mutation(api.projects.create, { name: "again" })).rejects.toMatchObject({
      data: { code: "RATE_LIMITED" },
    });
    await expect(inB.mutation(api.projects.create, { name: "Ben's B" })).resolves.toEqual(expect.any(String));
  });

  it("counts only writes that happen: a refused write spends nothing", async () => {
    const { w } = await world();
    vi.stubEnv("RATE_LIMIT_WRITES_PER_USER", "2/minute");
    const member = w.a.as.member;
    for (let i = 0; i < 5; i += 1) {
      await expect(member.mutation(api.tasks.create, { projectId: w.a.projectId, title: " " })).rejects.toMatchObject({
        data: { code: "INVALID" },
      });
      await expect(member.mutation(api.projects.create, { name: "not mine" })).rejects.toMatchObject({
        data: { code: "FORBIDDEN" },
      });
    }
    await member.mutation(api.tasks.create, { projectId: w.a.projectId, title: "One" });
    await member.mutation(api.tasks.create, { projectId: w.a.projectId, title: "Two" });
  });

  it("applies no limit set to off", async () => {
    const { w } = await world();
    vi.stubEnv("RATE_LIMIT_WRITES_PER_USER", "off");
    for (let i = 0; i <= RATE_LIMIT_DEFAULTS.writesPerUser!.count; i += 1) {
      await w.a.as.member.mutation(api.tasks.update, { id: w.a.taskIds[0]!, title: `Edit ${i}` });
    }
  });

  it("leaves sign-in alone: users.ensure is not limited", async () => {
    const { w } = await world();
    vi.stubEnv("RATE_LIMIT_WRITES_PER_USER", "1/hour");
    for (let i = 0; i < 5; i += 1) await w.a.as.member.mutation(api.users.ensure, {});
  });
});
