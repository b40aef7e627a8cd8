"use client";

import { MenuIcon } from "lucide-react";
import { useState, type ReactNode } from "react";

import { Logo } from "@/components/logo";
import { ThemeToggle } from "@/components/theme-toggle";
import { Button } from "@/components/ui/button";
import { Sheet, SheetContent, SheetDescription, SheetHeader, SheetTitle, SheetTrigger } from "@/components/ui/sheet";
import { WorkspaceProvider } from "@/components/workspace-provider";
import { OrganizationSwitcher, UserMenu } from "@/components/auth/adapter";
import { routes } from "@/lib/routes";

import { AppNav } from "./app-nav";

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
  return (
    <WorkspaceProvider>
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-background px-3 py-2 focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:ring-2 focus:ring-ring"
      >
        Skip to content
      </a>
      <div className="flex min-h-dvh">
        <aside className="sticky top-0 hidden h-dvh w-64 shrink-0 flex-col border-r border-sidebar-border bg-sidebar md:flex">
          <div className="flex h-14 items-center px-5">
            <Logo href={routes.dashboard} />
          </div>
          <SidebarBody />
        </aside>
        <div className="flex min-w-0 flex-1 flex-col">
          <header className="sticky top-0 z-40 flex h-14 items-center gap-2 border-b bg-background/95 px-3 backdrop-blur supports-[backdrop-filter]:bg-background/80 sm:px-4">
            <Sheet open={menuOpen} onOpenChange={setMenuOpen}>
              <SheetTrigger asChild>
                <Button
                  variant="ghost"
                  size="icon"
                  className="md:hidden"
                  aria-label="Open menu"
                  data-testid="open-menu"
                >
                  <MenuIcon aria-hidden />
                </Button>
              </SheetTrigger>
              <SheetContent side="left" className="w-72 bg-sidebar p-0">
                <SheetHeader className="border-b px-5 py-4">
                  <SheetTitle>
                    <Logo href={routes.dashboard} />
                  </SheetTitle>
                  <SheetDescription className="sr-only">Navigation and organization</SheetDescription>
                </SheetHeader>
                <SidebarBody onNavigate={() => setMenuOpen(false)} />
              </SheetContent>
            </Sheet>
            <Logo href={routes.dashboard} className="md:hidden" />
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
