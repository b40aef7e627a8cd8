import { NextResponse } from "next/server";

// Convex functions are the security boundary; auth redirects arrive here with the app.
export function middleware() {
  return NextResponse.next();
}

export const config = {
  // Clerk's recommended matcher: skip Next.js internals and static files, always run for API routes.
  matcher: [
    "/((?!_next|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)",
    "/(api|trpc)(.*)",
  ],
};
