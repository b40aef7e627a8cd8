"use client";

import { Suspense, useState, type ReactNode } from "react";

type UseHandlers = { onPointerEnter: () => void; onFocus: () => void; onClick: () => void };

/**
 * A control whose code loads on first use (a menu, a dialog): `trigger` draws its button, whose code
 * starts loading when the pointer or focus reaches it; a click swaps in `children` (a React.lazy
 * component that opens as it mounts), showing the same button while it loads.
 */
export function LoadOnFirstUse({
  preload,
  trigger,
  children,
}: {
  preload: () => unknown;
  trigger: (handlers: UseHandlers) => ReactNode;
  children: ReactNode;
}) {
  const [active, setActive] = useState(false);
  const button = trigger({
    onPointerEnter: () => void preload(),
    onFocus: () => void preload(),
    onClick: () => setActive(true),
  });
  return active ? <Suspense fallback={button}>{children}</Suspense> : button;
}
