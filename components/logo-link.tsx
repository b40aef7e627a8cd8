import { Link } from "@/components/link";

import { cn } from "@/lib/utils";

import { LogoContent, logoClasses } from "./logo";

/** The logo as a client-side navigation link, for pages inside the app. */
export function LogoLink({ href, className }: { href: string; className?: string }) {
  return (
    <Link href={href} className={cn(logoClasses, className)}>
      <LogoContent />
    </Link>
  );
}
