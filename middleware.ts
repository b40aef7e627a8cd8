// The user's way through the app (redirects only); Convex functions check every request themselves.
// `@/lib/auth/server` is the build's auth mode (next.config.ts), so the other mode's SDK is never bundled.
import { authMiddleware } from "@/lib/auth/server";

export default authMiddleware;

export const config = {
  // Clerk's recommended matcher: skip Next.js internals and static files, always run for API routes.
  matcher: [
    "/((?!_next|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)",
    "/(api|trpc)(.*)",
  ],
};
