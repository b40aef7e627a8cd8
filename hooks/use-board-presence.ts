"use client";

import { useMutation } from "convex/react";
import { useEffect } from "react";

import { api } from "@/convex/_generated/api";
import type { Id } from "@/convex/_generated/dataModel";

/** Until the first heartbeat answers with the server's interval, and after a refused one. */
const RETRY_MS = 5_000;

/** A random key for this tab's session (`crypto.randomUUID` exists only in secure contexts). */
function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Keeps the signed-in member on the project's board for the others while this tab shows it: a
 * heartbeat now and then every interval the server names, and a disconnect as soon as the tab is
 * hidden, closed or leaves the board, so the others see them go at once rather than at the
 * server's timeout. Inside `<WorkspaceGate>` only (it needs Convex to have accepted the token).
 *
 * Disconnects are mutations over the open WebSocket: `navigator.sendBeacon` cannot carry the
 * token that Convex checks. Convex sends a mutation synchronously when it is called, so one called
 * on `pagehide` leaves with the page; if it does not arrive, the server's timeout ends the session.
 * Presence is background work, so refusals are not shown as toasts; the next heartbeat retries.
 */
export function useBoardPresence(projectId: Id<"projects">): void {
  const heartbeat = useMutation(api.presence.heartbeat);
  const disconnect = useMutation(api.presence.disconnect);

  useEffect(() => {
    const sessionId = newSessionId();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Bumped on every start and stop, so a heartbeat answering late does not start a second loop.
    let generation = 0;
    let on = false;

    const beat = async (own: number) => {
      let next = RETRY_MS;
      try {
        next = (await heartbeat({ projectId, sessionId })).intervalMs;
      } catch {
        // Refused (access lost, project deleted) or not delivered: try again in a while.
      }
      if (on && own === generation) timer = setTimeout(() => void beat(own), next);
    };
    const start = () => {
      if (on) return;
      on = true;
      generation += 1;
      void beat(generation);
    };
    const stop = () => {
      if (!on) return;
      on = false;
      generation += 1;
      clearTimeout(timer);
      disconnect({ projectId, sessionId }).catch(() => {
        // The server's timeout ends the session instead.
      });
    };
    const onVisibility = () => (document.visibilityState === "visible" ? start() : stop());
    // Back from the back/forward cache: the page was hidden, not unloaded.
    const onPageShow = () => {
      if (document.visibilityState === "visible") start();
    };

    onPageShow();
    document.addEventListener("visibilitychange", onVisibility);
    window.addEventListener("pagehide", stop);
    window.addEventListener("pageshow", onPageShow);
    return () => {
      document.removeEventListener("visibilitychange", onVisibility);
      window.removeEventListener("pagehide", stop);
      window.removeEventListener("pageshow", onPageShow);
      stop();
    };
  }, [heartbeat, disconnect, projectId]);
}
