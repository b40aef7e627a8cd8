"use client";

// The organization switcher and user menu, for the app's shell.
import { Building2Icon, ChevronsUpDownIcon, LogOutIcon, PlusIcon } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState } from "react";

import { accountName, messageOf, useClerkLocal, useOrganizations } from "./context";
import { CreateOrganizationForm } from "./screens";

/** Switch between and create organizations (no personal workspace, as Clerk's `hidePersonal`). */
export function OrganizationSwitcher() {
  const auth = useClerkLocal();
  const { kit, roleLabel, routes } = auth.config;
  const {
    Button,
    Dialog,
    DialogContent,
    DialogDescription,
    DialogHeader,
    DialogTitle,
    DropdownMenu,
    DropdownMenuContent,
    DropdownMenuItem,
    DropdownMenuLabel,
    DropdownMenuRadioGroup,
    DropdownMenuRadioItem,
    DropdownMenuSeparator,
    DropdownMenuTrigger,
    Skeleton,
    toast,
  } = kit;
  const router = useRouter();
  const { organizations, problem, reload } = useOrganizations();
  const [creating, setCreating] = useState(false);

  if (auth.state.status !== "signed-in") return <Skeleton className="h-9 w-full" />;
  const activeOrgId = auth.state.session.activeOrgId;
  const active = organizations?.find((org) => org.id === activeOrgId);
  const label = active?.name ?? (organizations === null && problem === null ? "Loading…" : "Choose organization");

  function choose(orgId: string) {
    if (orgId === activeOrgId) return;
    auth.selectOrganization(orgId).then(
      () => router.push(routes.dashboard),
      (error: unknown) => toast.error(messageOf(error)),
    );
  }

  return (
    <>
      {/* Loaded again on every opening: a membership may have been added or ended meanwhile. */}
      <DropdownMenu onOpenChange={(open) => (open ? void reload() : undefined)}>
        <DropdownMenuTrigger asChild>
          <Button
            variant="outline"
            className="w-full justify-between"
            data-testid="org-switcher"
            aria-label={`Organization: ${label}. Switch organization`}
          >
            <span className="flex min-w-0 items-center gap-2">
              <Building2Icon aria-hidden />
              <span className="truncate">{label}</span>
            </span>
            <ChevronsUpDownIcon aria-hidden className="opacity-60" />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="start" className="w-64">
          <DropdownMenuLabel>Organizations</DropdownMenuLabel>
          {problem !== null ? (
            <p className="px-2 py-1.5 text-xs text-muted-foreground">{problem}</p>
          ) : (
            <DropdownMenuRadioGroup value={activeOrgId ?? ""} onValueChange={choose}>
              {(organizations ?? []).map((org) => (
                <DropdownMenuRadioItem key={org.id} value={org.id}>
                  <span className="truncate">{org.name}</span>
                  <span className="ml-auto text-xs text-muted-foreground">{roleLabel(org.role)}</span>
                </DropdownMenuRadioItem>
              ))}
            </DropdownMenuRadioGroup>
          )}
          <DropdownMenuSeparator />
          <DropdownMenuItem onSelect={() => setCreating(true)}>
            <PlusIcon aria-hidden />
            Create organization
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
      <Dialog open={creating} onOpenChange={setCreating}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Create organization</DialogTitle>
            <DialogDescription>You will be its admin, and it becomes your active organization.</DialogDescription>
          </DialogHeader>
          <CreateOrganizationForm
            onCreated={() => {
              setCreating(false);
              router.push(routes.dashboard);
            }}
          />
        </DialogContent>
      </Dialog>
    </>
  );
}

/** The signed-in user, with a way to sign out. */
export function UserMenu() {
  const auth = useClerkLocal();
  const {
    Button,
    DropdownMenu,
    DropdownMenuContent,
    DropdownMenuItem,
    DropdownMenuLabel,
    DropdownMenuSeparator,
    DropdownMenuTrigger,
    PersonAvatar,
    Skeleton,
  } = auth.config.kit;
  if (auth.state.status !== "signed-in") return <Skeleton className="size-9 rounded-full" />;
  const { account, session } = auth.state;
  const name = account ? accountName(account) : session.userId;

  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button
          variant="ghost"
          size="icon"
          className="rounded-full"
          aria-label={`Account: ${name}`}
          data-testid="user-menu"
        >
          <PersonAvatar name={name} imageUrl={account?.imageUrl ?? undefined} />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-60">
        <DropdownMenuLabel className="flex flex-col">
          <span className="truncate">{name}</span>
          {account?.email ? (
            <span className="truncate text-xs font-normal text-muted-foreground">{account.email}</span>
          ) : null}
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuItem data-testid="sign-out" onSelect={() => void auth.signOut()}>
          <LogOutIcon aria-hidden />
          Sign out
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
