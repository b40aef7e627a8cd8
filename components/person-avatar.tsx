"use client";

import { Avatar, AvatarFallback, AvatarImage } from "@/components/ui/avatar";
import { initials } from "@/lib/format";
import { cn } from "@/lib/utils";

/** A member's picture, or their initials; decorative (the name is always shown beside it). */
export function PersonAvatar({ name, imageUrl, className }: { name: string; imageUrl?: string; className?: string }) {
  return (
    <Avatar className={cn("size-8", className)} aria-hidden>
      {imageUrl ? <AvatarImage src={imageUrl} alt="" /> : null}
      <AvatarFallback className="text-[0.7rem] font-medium">{initials(name)}</AvatarFallback>
    </Avatar>
  );
}
