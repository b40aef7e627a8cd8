"use client";

import type { ReactNode } from "react";

import { LogoLink } from "@/components/logo-link";
import { Sheet, SheetContent, SheetDescription, SheetHeader, SheetTitle } from "@/components/ui/sheet";
import { routes } from "@/lib/routes";

/** The sidebar as a drawer below 768 px. Loaded on the first tap of the menu button, not with the page. */
export function MobileMenu({
  open,
  onOpenChange,
  children,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  children: ReactNode;
}) {
  return (
    <Sheet open={open} onOpenChange={onOpenChange}>
      <SheetContent side="left" className="w-72 bg-sidebar p-0">
        <SheetHeader className="border-b px-5 py-4">
          <SheetTitle>
            <LogoLink href={routes.dashboard} />
          </SheetTitle>
          <SheetDescription className="sr-only">Navigation and organization</SheetDescription>
        </SheetHeader>
        {children}
      </SheetContent>
    </Sheet>
  );
}
