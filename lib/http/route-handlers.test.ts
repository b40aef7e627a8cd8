// @vitest-environment node
/**
 * The Next.js route handlers that act with the user's session, called as Next calls them. The auth
 * adapter and the environment are the build's (next.config.ts aliases), so they are stood in for here.
 */
import { NextRequest } from "next/server";
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@/lib/auth/server", () => ({ getConvexToken: vi.fn(async () => "user-token") }));
vi.mock("@/setup/config", () => ({
  convexUrl: () => "http://127.0.0.1:3210",
  convexSiteUrl: () => "http://127.0.0.1:3211",
}));

const proxy = await import("../../app/api/v1/[...path]/route");

const APP = "http://localhost:3000";
/** A page served on another port of the same host: the same site, another origin. */
const OTHER_PORT = "http://localhost:3001";

const upstream = vi.fn(async (_url: string, _init: RequestInit) => Response.json({ ok: true }, { status: 200 }));
vi.stubGlobal("fetch", upstream);

beforeEach(() => {
  upstream.mockClear();
});

function post(path: string, headers: Record<string, string>, body?: string, method = "POST") {
  return new NextRequest(`${APP}${path}`, { method, headers, ...(body !== undefined && { body }) });
}

async function answer(response: Response) {
  return { status: response.status, body: (await response.json()) as unknown };
}

describe("the /api/v1 proxy", () => {
  const archive = { params: Promise.resolve({ path: ["projects", "p1", "archive"] }) };

  it("refuses a body-less POST from a page on another port of the same host", async () => {
    const attempts: Record<string, string>[] = [
      { origin: OTHER_PORT },
      { origin: OTHER_PORT, "sec-fetch-site": "same-site" },
      { origin: OTHER_PORT, "content-type": "application/x-www-form-urlencoded" },
    ];
    for (const headers of attempts) {
      const response = await proxy.POST(post("/api/v1/projects/p1/archive", headers), archive);
      expect(await answer(response)).toEqual({
        status: 403,
        body: { error: { code: "FORBIDDEN", message: expect.any(String) } },
      });
    }
    const remove = await proxy.DELETE(post("/api/v1/projects/p1", { origin: OTHER_PORT }, undefined, "DELETE"), {
      params: Promise.resolve({ path: ["projects", "p1"] }),
    });
    expect(remove.status).toBe(403);
    expect(upstream).not.toHaveBeenCalled();
  });

  it("refuses a JSON request from a page on another port of the same host", async () => {
    const create = { params: Promise.resolve({ path: ["projects"] }) };
    const attempts: Record<string, string>[] = [
      { origin: OTHER_PORT },
      { origin: OTHER_PORT, "sec-fetch-site": "same-site" },
      { origin: "null", "sec-fetch-site": "cross-site" },
    ];
    for (const headers of attempts) {
      const request = post("/api/v1/projects", { ...headers, "content-type": "application/json" }, '{"name":"Pwned"}');
      expect(await answer(await proxy.POST(request, create))).toEqual({
        status: 403,
        body: { error: { code: "FORBIDDEN", message: expect.stringMatching(/Origin|Sec-Fetch-Site/) } },
      });
    }
    expect(upstream).not.toHaveBeenCalled();
  });

  it("refuses a declared non-JSON body even from the app's own pages", async () => {
    for (const [type, body] of [
      ["application/x-www-form-urlencoded", undefined],
      ["text/plain", '{"name":"x"}'],
    ] as const) {
      const request = post(
        "/api/v1/projects/p1/archive",
        { "sec-fetch-site": "same-origin", "content-type": type },
        body,
      );
      expect(await answer(await proxy.POST(request, archive))).toMatchObject({
        status: 415,
        body: { error: { code: "UNSUPPORTED_MEDIA_TYPE" } },
      });
    }
    expect(upstream).not.toHaveBeenCalled();
  });

  it("forwards the app's own requests with the user's token, and reads from anywhere", async () => {
    const own = await proxy.POST(post("/api/v1/projects/p1/archive", { "sec-fetch-site": "same-origin" }), archive);
    expect(own.status).toBe(200);
    const read = await proxy.GET(
      new NextRequest(`${APP}/api/v1/me`, { headers: { origin: OTHER_PORT, "sec-fetch-site": "same-site" } }),
      { params: Promise.resolve({ path: ["me"] }) },
    );
    expect(read.status).toBe(200);
    expect(upstream.mock.calls.map(([url, init]) => [url, init.method])).toEqual([
      ["http://127.0.0.1:3211/api/v1/projects/p1/archive", "POST"],
      ["http://127.0.0.1:3211/api/v1/me", "GET"],
    ]);
    expect(new Headers(upstream.mock.calls[0]![1].headers).get("authorization")).toBe("Bearer user-token");
  });
});
