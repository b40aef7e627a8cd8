"use client";

// The signed-in app's client providers: auth + Convex through the build's adapter, and toasts. Only the
// pages under (workspace) load them; the landing page and /docs ship no Convex or auth client.
import type { ReactNode } from "react";

import { AuthAdapterProvider } from "@/components/auth/adapter";
import { Toaster } from "@/components/toaster";

export function WorkspaceProviders({ children }: { children: ReactNode }) {
  return (
    <>
      <AuthAdapterProvider>{children}</AuthAdapterProvider>
      <Toaster richColors closeButton position="top-right" />
    </>
  );
}
