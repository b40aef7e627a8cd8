/**
 * A proxy to the deployment's HTTP API (`/api/v1` on the Convex site URL), as a backend-for-frontend
 * would run one: the browser calls this origin with its session cookie, the server adds the user's
 * Convex token as `Authorization: Bearer …` and forwards method, path, query and JSON body. Answers
 * (status, JSON errors, `Location`) pass through unchanged; the API does every check. A request that
 * changes state must come from this app's pages, with a JSON body if any (lib/http/same-origin.ts).
 */
import { NextResponse, type NextRequest } from "next/server";
import { getConvexToken } from "@/lib/auth/server";
import { convexSiteUrl } from "@/setup/config";
import { refuseCrossSite } from "@/lib/http/same-origin";

export const dynamic = "force-dynamic";

const FORWARDED_REQUEST_HEADERS = ["content-type", "accept"];
const FORWARDED_RESPONSE_HEADERS = ["content-type", "location", "allow", "www-authenticate"];
const TIMEOUT_MS = 10_000;

async function forward(request: NextRequest, { params }: { params: Promise<{ path: string[] }> }) {
  const refused = refuseCrossSite(request);
  if (refused !== null) return refused;
  const token = await getConvexToken();
  if (token === null) {
    return NextResponse.json({ error: { code: "UNAUTHENTICATED", message: "Sign in first." } }, { status: 401 });
  }
  const { path } = await params;
  const target = `${convexSiteUrl()}/api/v1/${path.map(encodeURIComponent).join("/")}${request.nextUrl.search}`;
  const headers = new Headers({ authorization: `Bearer ${token}` });
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
      cache: "no-store",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    console.error(`/api/v1 proxy: ${target}:`, error);
    return NextResponse.json(
      { error: { code: "UPSTREAM", message: "The Convex HTTP API could not be reached; try again." } },
      { status: 502 },
    );
  }
  const out = new Headers();
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  return new NextResponse(upstream.status === 204 ? null : await upstream.arrayBuffer(), {
    status: upstream.status,
    headers: out,
  });
}

export { forward as DELETE, forward as GET, forward as PATCH, forward as POST };
