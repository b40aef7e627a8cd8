"use client";

import { useEffect, useState } from "react";

import { formatAbsolute, formatRelative } from "@/lib/format";

/** "5 minutes ago", kept fresh each minute; the exact time is in the tooltip and `dateTime`. */
export function RelativeTime({ time, className }: { time: number; className?: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <time
      dateTime={new Date(time).toISOString()}
      title={formatAbsolute(time)}
      className={className}
      suppressHydrationWarning
    >
      {formatRelative(time, now)}
    </time>
  );
}
