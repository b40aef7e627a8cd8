import { createHash } from "node:crypto";

const COLORS = ["#6c47ff", "#0e7490", "#b45309", "#be123c", "#15803d", "#4338ca", "#a21caf", "#0f766e"];

/**
 * A default avatar (initials on a colour picked from the id), as a data URL: Clerk's default image
 * lives on img.clerk.com, which a machine without network cannot reach.
 */
export function initialsAvatar(id: string, label: string): string {
  const initials =
    label
      .split(/\s+/)
      .map((word) => word.replace(/[^\p{L}\p{N}]/gu, "").charAt(0))
      .filter((c) => c !== "")
      .slice(0, 2)
      .join("")
      .toUpperCase() || "?";
  const color = COLORS[createHash("sha256").update(id).digest()[0]! % COLORS.length];
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">` +
    `<rect width="128" height="128" fill="${color}"/>` +
    `<text x="64" y="64" dy=".35em" text-anchor="middle" font-family="system-ui,sans-serif" font-size="52" fill="#fff">` +
    `${initials.replace(/[<>&"']/g, "")}</text></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}
