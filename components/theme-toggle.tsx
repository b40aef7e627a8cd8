"use client";

import { MonitorIcon, MoonIcon, SunIcon } from "lucide-react";
import { useSyncExternalStore } from "react";

import { THEME_STORAGE_KEY } from "@/components/theme-script";

// The theme without a theme library: ThemeScript applies the stored choice before the first paint;
// this module changes it, follows the system's preference while the choice is "system", and follows
// other tabs. A few lines instead of next-themes' provider, which every page would have to load.

const ORDER = ["system", "light", "dark"] as const;
export type Theme = (typeof ORDER)[number];
const ICONS = { system: MonitorIcon, light: SunIcon, dark: MoonIcon } as const;
const DARK_QUERY = "(prefers-color-scheme: dark)";

const listeners = new Set<() => void>();

function stored(): Theme {
  const value = localStorage.getItem(THEME_STORAGE_KEY);
  return value === "light" || value === "dark" ? value : "system";
}

function resolved(theme: Theme): "light" | "dark" {
  return theme === "dark" || (theme === "system" && matchMedia(DARK_QUERY).matches) ? "dark" : "light";
}

function applyToDocument() {
  const dark = resolved(stored()) === "dark";
  const root = document.documentElement;
  root.classList.toggle("dark", dark);
  root.classList.toggle("light", !dark);
  root.style.colorScheme = dark ? "dark" : "light";
  for (const listener of listeners) listener();
}

function onStorage(event: StorageEvent) {
  if (event.key === THEME_STORAGE_KEY) applyToDocument();
}

function subscribe(listener: () => void) {
  if (listeners.size === 0) {
    matchMedia(DARK_QUERY).addEventListener("change", applyToDocument);
    window.addEventListener("storage", onStorage);
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      matchMedia(DARK_QUERY).removeEventListener("change", applyToDocument);
      window.removeEventListener("storage", onStorage);
    }
  };
}

export function setTheme(theme: Theme) {
  localStorage.setItem(THEME_STORAGE_KEY, theme);
  applyToDocument();
}

/** The chosen theme ("system" on the server and at the first render, which only the browser can know). */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, stored, () => "system" as const);
}

/** The theme as one button that steps system → light → dark; its label says both the current and the next. */
export function ThemeToggle() {
  const current = useTheme();
  const next = ORDER[(ORDER.indexOf(current) + 1) % ORDER.length]!;
  const Icon = ICONS[current];
  return (
    <button
      type="button"
      onClick={() => setTheme(next)}
      aria-label={`Theme: ${current}. Switch to ${next}.`}
      title={`Theme: ${current}`}
      data-testid="theme-toggle"
      className="inline-flex size-9 items-center justify-center rounded-md text-foreground transition-colors hover:bg-accent hover:text-accent-foreground focus-visible:ring-[3px] focus-visible:ring-ring/50 focus-visible:outline-none"
    >
      <Icon aria-hidden className="size-4" />
    </button>
  );
}
