import type { Metadata } from "next";

import { Logo } from "@/components/logo";
import { buttonVariants } from "@/components/ui/button";
import { routes } from "@/lib/routes";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <main id="main" className="flex min-h-dvh flex-col items-center justify-center gap-4 px-4 text-center">
      <Logo href={routes.landing} />
      <h1 className="text-2xl font-semibold tracking-tight">Page not found</h1>
      <p className="max-w-sm text-sm text-muted-foreground">This address does not lead anywhere in the workspace.</p>
      {/* Plain links: this page is part of every page's tree (the not-found boundary), so a client
          component here would bring its chunks to pages that ship no app runtime. */}
      <a href={routes.dashboard} className={buttonVariants()}>
        Go to the dashboard
      </a>
    </main>
  );
}
