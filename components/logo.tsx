import Link from "next/link";

import { cn } from "@/lib/utils";

function LogoMark({ className }: { className?: string }) {
  return (
    <svg viewBox="0 0 24 24" aria-hidden className={cn("size-6", className)}>
      <rect x="2" y="2" width="9" height="9" rx="2.5" className="fill-foreground" />
      <rect x="13" y="2" width="9" height="9" rx="2.5" className="fill-foreground/40" />
      <rect x="2" y="13" width="9" height="9" rx="2.5" className="fill-foreground/40" />
      <rect x="13" y="13" width="9" height="9" rx="2.5" className="fill-foreground/70" />
    </svg>
  );
}

export function Logo({ href, className }: { href: string; className?: string }) {
  return (
    <Link href={href} className={cn("flex items-center gap-2 rounded-md font-semibold tracking-tight", className)}>
      <LogoMark />
      <span>Workspace</span>
    </Link>
  );
}
