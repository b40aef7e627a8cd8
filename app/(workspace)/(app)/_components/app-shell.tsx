"use client";

import { MenuIcon } from "lucide-react";
import dynamic from "next/dynamic";
import { useState, type ReactNode } from "react";

import { LogoLink } from "@/components/logo-link";
import { ThemeToggle } from "@/components/theme-toggle";
import { Button } from "@/components/ui/button";
import { WorkspaceProvider } from "@/components/workspace-provider";
import { OrganizationSwitcher, UserMenu } from "@/components/auth/adapter";
import { routes } from "@/lib/routes";

import { AppNav } from "./app-nav";

// The drawer's dialog code loads on the first tap of the menu button (phones only need it).
const MobileMenu = dynamic(() => import("./mobile-menu").then((m) => m.MobileMenu), { ssr: false });

function SidebarBody({ onNavigate }: { onNavigate?: () => void }) {
  return (
    <div className="flex flex-1 flex-col gap-6 p-4">
      <div>
        <p className="mb-2 px-1 text-xs font-medium tracking-wide text-muted-foreground uppercase">Organization</p>
        <OrganizationSwitcher />
      </div>
      <AppNav onNavigate={onNavigate} />
    </div>
  );
}

/** Sidebar and top bar around every signed-in page; the sidebar becomes a drawer below 768 px. */
export function AppShell({ children }: { children: ReactNode }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const [menuWanted, setMenuWanted] = useState(false);
  return (
    <WorkspaceProvider>
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-background px-3 py-2 focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:ring-2 focus:ring-ring"
      >
        Skip to content
      </a>
      <div className="flex min-h-dvh">
        {/* The column (border and background) runs the page's full height; its content stays in view
            while the page scrolls, and scrolls itself when the window is shorter than the menu. */}
        <aside className="hidden w-64 shrink-0 border-r border-sidebar-border bg-sidebar md:block">
          <div className="sticky top-0 flex max-h-dvh flex-col overflow-y-auto">
            <div className="flex h-14 shrink-0 items-center px-5">
              <LogoLink href={routes.dashboard} />
            </div>
            <SidebarBody />
          </div>
        </aside>
        <div className="flex min-w-0 flex-1 flex-col">
          <header className="sticky top-0 z-40 flex h-14 items-center gap-2 border-b bg-background/95 px-3 backdrop-blur supports-[backdrop-filter]:bg-background/80 sm:px-4">
            <Button
              variant="ghost"
              size="icon"
              className="md:hidden"
              aria-label="Open menu"
              aria-haspopup="dialog"
              aria-expanded={menuOpen}
              data-testid="open-menu"
              onClick={() => {
                setMenuWanted(true);
                setMenuOpen(true);
              }}
            >
              <MenuIcon aria-hidden />
            </Button>
            {menuWanted ? (
              <MobileMenu open={menuOpen} onOpenChange={setMenuOpen}>
                <SidebarBody onNavigate={() => setMenuOpen(false)} />
              </MobileMenu>
            ) : null}
            <LogoLink href={routes.dashboard} className="md:hidden" />
            <div className="ml-auto flex items-center gap-1">
              <ThemeToggle />
              <UserMenu />
            </div>
          </header>
          <main id="main" tabIndex={-1} className="mx-auto w-full max-w-7xl flex-1 p-4 outline-none sm:p-6">
            {children}
          </main>
        </div>
      </div>
    </WorkspaceProvider>
  );
}
