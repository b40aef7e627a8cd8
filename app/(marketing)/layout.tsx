import type { ReactNode } from "react";

import { Logo } from "@/components/logo";
import { ThemeToggle } from "@/components/theme-toggle";
import { buttonVariants } from "@/components/ui/button";
import { routes } from "@/lib/routes";

export default function MarketingLayout({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-dvh flex-col">
      <header className="border-b">
        <div className="mx-auto flex h-14 max-w-5xl items-center justify-between gap-3 px-4 sm:px-6">
          <Logo href={routes.landing} />
          <nav aria-label="Account" className="flex items-center gap-2">
            <ThemeToggle />
            {/* Into the app (a full page load: it brings the app's runtime); the middleware sends a visitor
                without a session to sign in first, and back. */}
            <a
              href={routes.dashboard}
              className={buttonVariants({ size: "sm", variant: "outline" })}
              data-testid="open-app"
            >
              Open app
            </a>
          </nav>
        </div>
      </header>
      <main id="main" className="flex-1">
        {children}
      </main>
      <footer className="border-t py-6 text-center text-sm text-muted-foreground">
        Built on Convex, Clerk and Next.js.
      </footer>
    </div>
  );
}
