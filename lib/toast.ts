// Toasts without loading sonner up front: most page loads never show one. The first `toast` call
// loads sonner and asks `<Toaster />` (components/toaster.tsx) to mount sonner's; each message is
// shown once that Toaster listens (sonner does not replay toasts published before it mounted).
import type * as Sonner from "sonner";

type ToastOptions = { description?: string };

let requested = false;
const listeners = new Set<() => void>();
let markMounted: () => void = () => {};
const mounted = new Promise<void>((resolve) => {
  markMounted = resolve;
});
let sonner: Promise<typeof Sonner> | undefined;

function ready(): Promise<typeof Sonner> {
  if (!requested) {
    requested = true;
    for (const listener of listeners) listener();
  }
  sonner ??= import("sonner");
  return mounted.then(() => sonner!);
}

function report(error: unknown) {
  // The toast itself could not be shown (its code failed to load): the console is all that is left.
  console.error("Could not show a notification:", error);
}

export const toast = {
  success(message: string, options?: ToastOptions) {
    ready().then(({ toast: show }) => show.success(message, options), report);
  },
  error(message: string, options?: ToastOptions) {
    ready().then(({ toast: show }) => show.error(message, options), report);
  },
};

/** For `<Toaster />`: whether a toast was asked for yet, and the signal that sonner's Toaster listens. */
export const toastRequests = {
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  requested: () => requested,
  markMounted: () => markMounted(),
};
