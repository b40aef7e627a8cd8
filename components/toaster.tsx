"use client";

import dynamic from "next/dynamic";
import { useSyncExternalStore } from "react";
import type { ToasterProps } from "sonner";

import { toastRequests } from "@/lib/toast";

const ToasterHost = dynamic(() => import("./toaster-host").then((m) => m.ToasterHost), { ssr: false });

/** Where toasts appear (`toast` from lib/toast); renders and loads nothing until the first toast. */
export function Toaster(props: ToasterProps) {
  const show = useSyncExternalStore(toastRequests.subscribe, toastRequests.requested, () => false);
  return show ? <ToasterHost {...props} onMounted={toastRequests.markMounted} /> : null;
}
