"use client";

import { useEffect } from "react";
import type { ToasterProps } from "sonner";

import { Toaster } from "@/components/ui/sonner";

/** sonner's Toaster, and a signal once it listens: effects run child first, so its own has run. */
export function ToasterHost({ onMounted, ...props }: ToasterProps & { onMounted: () => void }) {
  useEffect(onMounted, [onMounted]);
  return <Toaster {...props} />;
}
