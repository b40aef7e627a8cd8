"use client";

import {
  ActivityIcon,
  FolderKanbanIcon,
  GaugeIcon,
  LayoutDashboardIcon,
  UsersIcon,
  type LucideIcon,
} from "lucide-react";
import { Link } from "@/components/link";
import { usePathname } from "next/navigation";

import { useWorkspaceState, type Permission } from "@/hooks/use-workspace";
import { routes } from "@/lib/routes";
import { cn } from "@/lib/utils";

const NAV: { href: string; label: string; icon: LucideIcon; permission?: Permission }[] = [
  { href: routes.dashboard, label: "Dashboard", icon: LayoutDashboardIcon },
  { href: routes.projects, label: "Projects", icon: FolderKanbanIcon },
  { href: routes.activity, label: "Activity", icon: ActivityIcon },
  { href: routes.members, label: "Members", icon: UsersIcon },
  { href: routes.usage, label: "Usage", icon: GaugeIcon, permission: "org:usage:read" },
];

/**
 * The app's sections, with the current one marked for assistive technology. A section that needs a
 * permission shows once the workspace confirms the caller holds it.
 */
export function AppNav({ onNavigate }: { onNavigate?: () => void }) {
  const pathname = usePathname();
  const workspace = useWorkspaceState();
  const items = NAV.filter(
    ({ permission }) => permission === undefined || (workspace.status === "ready" && workspace.can(permission)),
  );
  return (
    <nav aria-label="Main" data-testid="main-nav">
      <ul className="flex flex-col gap-1">
        {items.map(({ href, label, icon: Icon }) => {
          const active = pathname === href || pathname.startsWith(`${href}/`);
          return (
            <li key={href}>
              <Link
                href={href}
                onClick={onNavigate}
                aria-current={active ? "page" : undefined}
                className={cn(
                  "flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium text-sidebar-foreground/80 transition-colors hover:bg-sidebar-accent hover:text-sidebar-accent-foreground",
                  active && "bg-sidebar-accent text-sidebar-accent-foreground",
                )}
              >
                <Icon aria-hidden className="size-4" />
                {label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
