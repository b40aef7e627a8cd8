/**
 * Offline mode's sign-in routes (lib/auth/offline-routes.ts): the browser's only way to the local
 * identity provider. In connected (Clerk) mode there is nothing here.
 */
import { createOfflineRoutes } from "@/lib/auth/offline-routes";

export const dynamic = "force-dynamic";

const handle = createOfflineRoutes();

async function offline(request: Request, { params }: { params: Promise<{ path: string[] }> }): Promise<Response> {
  if (process.env.NEXT_PUBLIC_AUTH_MODE !== "offline") {
    return Response.json({ error: { code: "not_found", message: "Not found." } }, { status: 404 });
  }
  return await handle(request, (await params).path);
}

export { offline as DELETE, offline as GET, offline as PATCH, offline as POST };
