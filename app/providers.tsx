"use client";

// The app's one client providers file: theme, toasts, and auth + Convex through the build's adapter.
import { ThemeProvider } from "next-themes";
import type { ReactNode } from "react";

import { Toaster } from "@/components/ui/sonner";
import { AuthAdapterProvider } from "@/components/auth/adapter";

export function Providers({ children }: { children: ReactNode }) {
  return (
    <ThemeProvider attribute="class" defaultTheme="system" enableSystem disableTransitionOnChange>
      <AuthAdapterProvider>{children}</AuthAdapterProvider>
      <Toaster richColors closeButton position="top-right" />
    </ThemeProvider>
  );
}
