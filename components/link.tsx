"use client";

import NextLink from "next/link";
import { useRouter } from "next/navigation";
import type { ComponentProps } from "react";

/**
 * next/link that prefetches on intent (pointer over it, focus, touch) instead of as soon as it is
 * on screen. A page full of links (the sidebar, project rows, the activity feed) would otherwise
 * download the code of every page it links to, the board's drag and drop included, before the
 * visitor chose one. The code still arrives ahead of the click: hover and focus come first.
 */
export function Link({ href, onPointerEnter, onFocus, onTouchStart, ...props }: ComponentProps<typeof NextLink>) {
  const router = useRouter();
  const prefetch = () => {
    if (typeof href === "string") router.prefetch(href);
    else if (href.pathname) router.prefetch(href.pathname);
  };
  return (
    <NextLink
      href={href}
      prefetch={false}
      onPointerEnter={(event) => {
        prefetch();
        onPointerEnter?.(event);
      }}
      onFocus={(event) => {
        prefetch();
        onFocus?.(event);
      }}
      onTouchStart={(event) => {
        prefetch();
        onTouchStart?.(event);
      }}
      {...props}
    />
  );
}
