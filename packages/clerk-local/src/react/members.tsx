"use client";

// Member management on the identity provider's directory, which sends each change to the backend
// as Clerk's webhook would, so the app's members list follows within a moment.
import { RefreshCwIcon, UserCogIcon, UserMinusIcon, UserPlusIcon } from "lucide-react";
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";

import type { OfflineAccount, OfflineMember } from "../shared/types";
import { accountName, messageOf, useClerkLocal } from "./context";

type Directory = { members: OfflineMember[]; others: OfflineAccount[] };

/** The active organization's members and the directory's other users, reloaded after every change. */
function useDirectoryMembers(orgId: string | null) {
  const { client } = useClerkLocal();
  const [directory, setDirectory] = useState<Directory | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(async () => {
    if (orgId === null) return;
    try {
      const [members, accounts] = await Promise.all([client.listMembers(orgId), client.listAccounts()]);
      const inOrg = new Set(members.map((member) => member.account.id));
      setDirectory({ members, others: accounts.filter((account) => !inOrg.has(account.id)) });
      setProblem(null);
    } catch (error) {
      setProblem(messageOf(error));
    }
  }, [client, orgId]);

  useEffect(() => {
    setDirectory(null);
    void load();
  }, [load]);

  return { directory, problem, reload: load };
}

function RoleSelect({
  id,
  value,
  onChange,
  disabled,
  label,
  className,
}: {
  id?: string;
  value: string;
  onChange: (role: string) => void;
  disabled?: boolean;
  /** The accessible name when no visible label points at it. */
  label?: string;
  className?: string;
}) {
  const { kit, roles } = useClerkLocal().config;
  const { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } = kit;
  return (
    <Select value={value} onValueChange={onChange} disabled={disabled}>
      <SelectTrigger id={id} aria-label={label} className={className} data-testid="member-role">
        <SelectValue />
      </SelectTrigger>
      <SelectContent>
        {roles.map((role) => (
          <SelectItem key={role.value} value={role.value}>
            {role.label}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}

function MemberRow({
  member,
  isYou,
  pending,
  onChangeRole,
  onRemove,
}: {
  member: OfflineMember;
  isYou: boolean;
  pending: boolean;
  onChangeRole: (role: string) => void;
  onRemove: () => void;
}) {
  const { kit, roleLabel } = useClerkLocal().config;
  const { Badge, Button, PersonAvatar } = kit;
  const name = accountName(member.account);
  return (
    <li
      aria-label={name}
      className="flex flex-col gap-2 py-3 first:pt-0 last:pb-0 sm:flex-row sm:items-center"
      data-testid="manage-member-row"
    >
      <div className="flex min-w-0 flex-1 items-center gap-3">
        <PersonAvatar name={name} imageUrl={member.account.imageUrl ?? undefined} />
        <div className="flex min-w-0 flex-col">
          <span className="flex items-center gap-2 truncate text-sm font-medium">
            <span className="truncate">{name}</span>
            {isYou ? <Badge variant="secondary">You</Badge> : null}
          </span>
          <span className="truncate text-xs text-muted-foreground">{member.account.email}</span>
        </div>
      </div>
      {isYou ? (
        // Your own role and membership are changed by another admin, so an organization always keeps one.
        <span className="pl-11 text-sm text-muted-foreground sm:pl-0">{roleLabel(member.role)}</span>
      ) : (
        <div className="flex items-center gap-2 pl-11 sm:pl-0">
          <RoleSelect
            value={member.role}
            onChange={onChangeRole}
            disabled={pending}
            label={`Role for ${name}`}
            className="w-32"
          />
          <Button
            variant="ghost"
            size="icon"
            className="text-muted-foreground hover:text-destructive"
            disabled={pending}
            onClick={onRemove}
            aria-label={`Remove ${name}`}
            data-testid="remove-member"
          >
            <UserMinusIcon aria-hidden />
          </Button>
        </div>
      )}
    </li>
  );
}

function AddMemberForm({
  others,
  pending,
  onAdd,
}: {
  others: OfflineAccount[];
  pending: boolean;
  onAdd: (account: OfflineAccount, role: string) => Promise<boolean>;
}) {
  const { kit, roles } = useClerkLocal().config;
  const { Button, Label, Select, SelectContent, SelectItem, SelectTrigger, SelectValue } = kit;
  const id = useId();
  const [userId, setUserId] = useState("");
  // Clerk's default role for new members when the app has it, else the least listed.
  const [role, setRole] = useState<string>(() =>
    roles.some((r) => r.value === "org:member") ? "org:member" : (roles.at(-1)?.value ?? "org:member"),
  );
  const chosen = others.find((account) => account.id === userId);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (chosen === undefined) return;
    if (await onAdd(chosen, role)) setUserId("");
  }

  if (others.length === 0) {
    return (
      <p className="text-sm text-muted-foreground">
        Everyone in the local directory is already a member. New accounts appear here once they sign up.
      </p>
    );
  }
  return (
    <form className="grid gap-3 sm:grid-cols-[1fr_8rem_auto] sm:items-end" onSubmit={(event) => void submit(event)}>
      <div className="grid min-w-0 gap-2">
        <Label htmlFor={`${id}-person`}>Person</Label>
        <Select value={userId} onValueChange={setUserId}>
          <SelectTrigger id={`${id}-person`} className="w-full" data-testid="add-member-person">
            <SelectValue placeholder="Choose someone" />
          </SelectTrigger>
          <SelectContent>
            {others.map((account) => (
              <SelectItem key={account.id} value={account.id}>
                {accountName(account)}
                <span className="text-muted-foreground">{account.email}</span>
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </div>
      <div className="grid gap-2">
        <Label htmlFor={`${id}-role`}>Role</Label>
        <RoleSelect id={`${id}-role`} value={role} onChange={setRole} className="w-full" />
      </div>
      <Button type="submit" disabled={pending || chosen === undefined} data-testid="add-member-submit">
        <UserPlusIcon aria-hidden />
        Add member
      </Button>
    </form>
  );
}

/** The directory's members of the active organization with their roles, and who else could join. */
function MembersPanel() {
  const auth = useClerkLocal();
  const { kit, roleLabel } = auth.config;
  const {
    AlertDialog,
    AlertDialogAction,
    AlertDialogCancel,
    AlertDialogContent,
    AlertDialogDescription,
    AlertDialogFooter,
    AlertDialogHeader,
    AlertDialogTitle,
    Button,
    Skeleton,
    toast,
  } = kit;
  const session = auth.state.status === "signed-in" ? auth.state.session : null;
  const orgId = session?.activeOrgId ?? null;
  const { directory, problem, reload } = useDirectoryMembers(orgId);
  const [pending, setPending] = useState<string | null>(null);
  const [removing, setRemoving] = useState<OfflineMember | null>(null);
  const addHeadingId = useId();

  /** Runs one directory change; a refusal from the provider is shown as a toast. */
  async function change(key: string, operation: () => Promise<void>, success: string): Promise<boolean> {
    setPending(key);
    try {
      await operation();
      toast.success(success, { description: "The members list shows it in a moment." });
      return true;
    } catch (error) {
      toast.error(messageOf(error));
      return false;
    } finally {
      await reload();
      setPending(null);
    }
  }

  if (session === null || orgId === null) {
    return <p className="text-sm text-muted-foreground">Choose an organization to manage its members.</p>;
  }
  const { client } = auth;

  return (
    <div className="flex flex-col gap-6">
      {problem !== null ? (
        <div role="alert" className="flex flex-col items-start gap-2 text-sm">
          <p className="text-destructive">Could not load the directory: {problem}</p>
          <Button variant="outline" size="sm" onClick={() => void reload()}>
            <RefreshCwIcon aria-hidden />
            Try again
          </Button>
        </div>
      ) : directory === null ? (
        <div className="flex flex-col gap-3" aria-hidden>
          {[0, 1, 2].map((i) => (
            <Skeleton key={i} className="h-10 w-full" />
          ))}
        </div>
      ) : (
        <>
          <ul className="divide-y" aria-label="Directory members" data-testid="manage-members-list">
            {directory.members.map((member) => {
              const name = accountName(member.account);
              return (
                <MemberRow
                  key={member.account.id}
                  member={member}
                  isYou={member.account.id === session.userId}
                  pending={pending !== null}
                  onChangeRole={(role) =>
                    void change(
                      member.account.id,
                      () => client.changeRole(orgId, member.account.id, role),
                      `${name} is now ${roleLabel(role)}.`,
                    )
                  }
                  onRemove={() => setRemoving(member)}
                />
              );
            })}
          </ul>
          <section aria-labelledby={addHeadingId} className="flex flex-col gap-3 border-t pt-4">
            <h2 id={addHeadingId} className="text-sm font-semibold">
              Add someone from the directory
            </h2>
            <AddMemberForm
              others={directory.others}
              pending={pending !== null}
              onAdd={(account, role) =>
                change(
                  "add",
                  () => client.addMember(orgId, account.id, role),
                  `${accountName(account)} joined as ${roleLabel(role)}.`,
                )
              }
            />
          </section>
        </>
      )}

      <AlertDialog open={removing !== null} onOpenChange={(open) => (open ? undefined : setRemoving(null))}>
        <AlertDialogContent>
          <AlertDialogHeader>
            <AlertDialogTitle>Remove {removing ? accountName(removing.account) : "member"}?</AlertDialogTitle>
            <AlertDialogDescription>
              They lose access to this organization&apos;s projects and tasks at once. They stay in the directory and
              can be added again.
            </AlertDialogDescription>
          </AlertDialogHeader>
          <AlertDialogFooter>
            <AlertDialogCancel>Cancel</AlertDialogCancel>
            <AlertDialogAction
              className="bg-destructive text-white hover:bg-destructive/90"
              data-testid="confirm-remove-member"
              onClick={() => {
                if (removing === null) return;
                const { account } = removing;
                void change(
                  account.id,
                  () => client.removeMember(orgId, account.id),
                  `${accountName(account)} was removed.`,
                );
              }}
            >
              Remove member
            </AlertDialogAction>
          </AlertDialogFooter>
        </AlertDialogContent>
      </AlertDialog>
    </div>
  );
}

const DESCRIPTION =
  "Offline mode: changes go to the local identity provider, which sends them to the app as Clerk's webhooks would.";

/** A button that opens member management in a dialog (the active organization's admins only: the routes check). */
export function ManageMembers() {
  const { Button, Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } =
    useClerkLocal().config.kit;
  return (
    <Dialog>
      <DialogTrigger asChild>
        <Button data-testid="manage-members">
          <UserCogIcon aria-hidden />
          Manage members
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-2xl">
        <DialogHeader>
          <DialogTitle>Manage members</DialogTitle>
          <DialogDescription>{DESCRIPTION}</DialogDescription>
        </DialogHeader>
        <MembersPanel />
      </DialogContent>
    </Dialog>
  );
}

/** Member management as a page's content. */
export function ManageMembersPage() {
  const { Card, CardContent } = useClerkLocal().config.kit;
  return (
    <Card>
      <CardContent className="flex flex-col gap-4">
        <p className="text-sm text-muted-foreground">{DESCRIPTION}</p>
        <MembersPanel />
      </CardContent>
    </Card>
  );
}
