import { ActivityIcon, FolderKanbanIcon, ShieldCheckIcon, ZapIcon } from "lucide-react";

import { authMode } from "@/setup/config";

import { LandingActions } from "./_components/landing-actions";

const FEATURES = [
  {
    icon: ZapIcon,
    title: "Live for everyone",
    body: "Every change to a project or task reaches every member's screen as it happens: no refresh, no polling.",
  },
  {
    icon: FolderKanbanIcon,
    title: "Projects and boards",
    body: "Organize work in projects; move tasks across To do, In progress and Done by drag and drop or keyboard.",
  },
  {
    icon: ShieldCheckIcon,
    title: "Roles that hold",
    body: "Admins, members, billing and viewers each see and do what their role allows, checked on the server every time.",
  },
  {
    icon: ActivityIcon,
    title: "An audit trail",
    body: "Who created, moved, assigned or deleted what, and when, in one feed for the whole organization.",
  },
];

export default function LandingPage() {
  const offline = authMode() === "offline";
  return (
    <>
      <section className="mx-auto flex max-w-5xl flex-col gap-6 px-4 py-16 sm:px-6 sm:py-24">
        {offline ? (
          <p className="w-fit rounded-full border px-3 py-1 text-xs text-muted-foreground" data-testid="offline-badge">
            Offline mode: local accounts and data, no network needed
          </p>
        ) : null}
        <h1 className="max-w-3xl text-4xl font-semibold tracking-tight text-balance sm:text-5xl">
          The real-time workspace for your team&apos;s projects
        </h1>
        <p className="max-w-2xl text-lg text-pretty text-muted-foreground">
          Workspace keeps each organization&apos;s projects, tasks and activity in one place, live for every member,
          with what each person may do set by their role.
        </p>
        <LandingActions />
      </section>
      <section aria-labelledby="features-heading" className="border-t bg-muted/40">
        <div className="mx-auto max-w-5xl px-4 py-16 sm:px-6">
          <h2 id="features-heading" className="sr-only">
            Features
          </h2>
          <ul className="grid gap-6 sm:grid-cols-2">
            {FEATURES.map(({ icon: Icon, title, body }) => (
              <li key={title} className="rounded-xl border bg-background p-6">
                <Icon aria-hidden className="mb-3 size-5 text-muted-foreground" />
                <h3 className="font-semibold">{title}</h3>
                <p className="mt-1 text-sm text-muted-foreground">{body}</p>
              </li>
            ))}
          </ul>
        </div>
      </section>
    </>
  );
}
