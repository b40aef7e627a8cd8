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

export const logoClasses = "flex items-center gap-2 rounded-md font-semibold tracking-tight";

/** The mark and the name, inside whichever link the page uses. */
export function LogoContent() {
  return (
    <>
      <LogoMark />
      <span>Workspace</span>
    </>
  );
}

/**
 * The logo as an ordinary anchor. Pages without the app's runtime (landing, docs, not-found) use
 * this one: merely importing `next/link` from a server component puts the client router's link code
 * into that page's bundle, rendered or not. Inside the app, `LogoLink` navigates client-side.
 */
export function Logo({ href, className }: { href: string; className?: string }) {
  return (
    <a href={href} className={cn(logoClasses, className)}>
      <LogoContent />
    </a>
  );
}
