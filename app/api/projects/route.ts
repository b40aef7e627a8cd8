/**
 * Server-side calls to Convex as the signed-in user (a backend-for-frontend): the route reads the
 * user's Convex token on the server (Clerk's `auth()` when connected, the local identity provider's
 * session offline) and calls the same public functions the browser does, with `fetchQuery` /
 * `fetchMutation` from `convex/nextjs`. The Convex functions do every permission check.
 *
 * GET  /api/projects?cursor=…  → { projects, nextCursor }
 * POST /api/projects { name }  → 201 { id }; only from this app's pages, as JSON (lib/http/same-origin.ts)
 */
import { fetchMutation, fetchQuery } from "convex/nextjs";
import { ConvexError } from "convex/values";
import { NextResponse, type NextRequest } from "next/server";
import { api } from "@/convex/_generated/api";
import { getConvexToken } from "@/lib/auth/server";
import { convexUrl } from "@/setup/config";
import { refuseCrossSite } from "@/lib/http/same-origin";

export const dynamic = "force-dynamic";

const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID: 400,
  CONFLICT: 409,
};

function problem(status: number, code: string, message: string) {
  return NextResponse.json({ error: { code, message } }, { status });
}

/** A refusal from the Convex functions keeps its code and message; anything else is our fault. */
function fromConvex(error: unknown) {
  if (error instanceof ConvexError) {
    const data = error.data as { code?: string; message?: string };
    const code = typeof data.code === "string" ? data.code : "INVALID";
    return problem(STATUS[code] ?? 400, code, data.message ?? "Refused.");
  }
  console.error("/api/projects:", error);
  return problem(502, "UPSTREAM", "Convex could not be reached or failed; try again.");
}

async function tokenOrProblem() {
  const token = await getConvexToken();
  return token === null ? problem(401, "UNAUTHENTICATED", "Sign in first.") : token;
}

export async function GET(request: NextRequest) {
  const token = await tokenOrProblem();
  if (typeof token !== "string") return token;
  const cursor = request.nextUrl.searchParams.get("cursor");
  try {
    const page = await fetchQuery(
      api.projects.list,
      { paginationOpts: { numItems: 25, cursor } },
      { token, url: convexUrl() },
    );
    return NextResponse.json({ projects: page.page, nextCursor: page.isDone ? null : page.continueCursor });
  } catch (error) {
    return fromConvex(error);
  }
}

export async function POST(request: NextRequest) {
  const refused = refuseCrossSite(request, { requireJson: true });
  if (refused !== null) return refused;
  const token = await tokenOrProblem();
  if (typeof token !== "string") return token;
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return problem(400, "INVALID", 'Send a JSON body: { "name": "…" }.');
  }
  const name = typeof body === "object" && body !== null ? (body as { name?: unknown }).name : undefined;
  if (typeof name !== "string") return problem(400, "INVALID", "`name` must be a string.");
  try {
    const id = await fetchMutation(api.projects.create, { name }, { token, url: convexUrl() });
    return NextResponse.json({ id }, { status: 201 });
  } catch (error) {
    return fromConvex(error);
  }
}
