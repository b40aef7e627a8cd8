"use client";

// The sign-in, sign-up and organization screens, on the local identity provider, drawn with the
// app's kit.
import { Building2Icon, PlusIcon, TriangleAlertIcon } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useId, useState, type FormEvent, type ReactNode } from "react";

import type { OfflineDirectoryAccount, OfflineOrganization, OfflineSession, OfflineSignIn } from "../shared/types";
import { accountName, messageOf, useClerkLocal, useOrganizations, type ResolvedConfig } from "./context";

/** Props of the full-page screens: where to continue once done (already made safe by the app). */
export type ClerkLocalPageProps = { redirectUrl: string };

function OfflineNotice() {
  const { providerUrl } = useClerkLocal().config;
  return (
    <p className="text-center text-xs text-muted-foreground">
      Offline mode: accounts come from the local identity provider at <span className="font-mono">{providerUrl}</span>.
      Nothing leaves this machine.
    </p>
  );
}

function ProblemAlert({ title, message, onRetry }: { title: string; message: string; onRetry?: () => void }) {
  const { Alert, AlertDescription, AlertTitle, Button } = useClerkLocal().config.kit;
  return (
    <Alert variant="destructive">
      <TriangleAlertIcon aria-hidden />
      <AlertTitle>{title}</AlertTitle>
      <AlertDescription>
        <p>{message}</p>
        {onRetry ? (
          <Button variant="outline" size="sm" className="mt-2" onClick={onRetry}>
            Try again
          </Button>
        ) : null}
      </AlertDescription>
    </Alert>
  );
}

function AuthCard({
  title,
  description,
  children,
  footer,
}: {
  title: string;
  description: string;
  children: ReactNode;
  footer?: ReactNode;
}) {
  const { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } = useClerkLocal().config.kit;
  return (
    <div className="flex w-full max-w-md flex-col gap-4">
      <Card>
        <CardHeader>
          <CardTitle className="text-xl">
            <h1>{title}</h1>
          </CardTitle>
          <CardDescription>{description}</CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-4">{children}</CardContent>
        {footer ? <CardFooter className="text-sm text-muted-foreground">{footer}</CardFooter> : null}
      </Card>
      <OfflineNotice />
    </div>
  );
}

function ListSkeleton({ rows = 3 }: { rows?: number }) {
  const { Skeleton } = useClerkLocal().config.kit;
  return (
    <div className="flex flex-col gap-2" aria-hidden>
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} className="h-14 w-full" />
      ))}
    </div>
  );
}

function Divider({ children }: { children: ReactNode }) {
  return (
    <div className="flex items-center gap-3 text-xs text-muted-foreground">
      <span className="h-px flex-1 bg-border" />
      {children}
      <span className="h-px flex-1 bg-border" />
    </div>
  );
}

/** After signing in: straight on when an organization is active, else choose one first. */
function nextAfterSignIn(config: ResolvedConfig, session: OfflineSession, redirectUrl: string): string {
  return session.activeOrgId === null ? config.withRedirect(config.routes.selectOrg, redirectUrl) : redirectUrl;
}

function membershipSummary(config: ResolvedConfig, account: OfflineDirectoryAccount): string {
  if (account.memberships.length === 0) return "No organization yet";
  return account.memberships.map((m) => `${m.organizationName} · ${config.roleLabel(m.role)}`).join(", ");
}

function useDirectory() {
  const { client } = useClerkLocal();
  const [accounts, setAccounts] = useState<OfflineDirectoryAccount[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const load = useCallback(async () => {
    setProblem(null);
    try {
      setAccounts(await client.listAccounts());
    } catch (error) {
      setProblem(messageOf(error));
    }
  }, [client]);
  useEffect(() => {
    void load();
  }, [load]);
  return { accounts, problem, reload: load };
}

export function SignInPage({ redirectUrl }: ClerkLocalPageProps) {
  const auth = useClerkLocal();
  const { config } = auth;
  const { Button, Input, Label, PersonAvatar, toast } = config.kit;
  const { routes, withRedirect } = config;
  const router = useRouter();
  const { accounts, problem, reload } = useDirectory();
  const [pending, setPending] = useState<string | null>(null);
  const emailId = useId();

  async function signIn(who: OfflineSignIn, key: string) {
    setPending(key);
    try {
      const session = await auth.signIn(who);
      router.replace(nextAfterSignIn(config, session, redirectUrl));
    } catch (error) {
      toast.error(messageOf(error));
      setPending(null);
    }
  }

  function submitEmail(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get("email") ?? "").trim();
    if (email !== "") void signIn({ email }, "email");
  }

  if (auth.state.status === "signed-in") {
    const { session, account } = auth.state;
    return (
      <AuthCard
        title="You are signed in"
        description={`Signed in as ${account ? accountName(account) : session.userId}.`}
      >
        <Button onClick={() => router.replace(nextAfterSignIn(config, session, redirectUrl))}>Continue</Button>
        <Button variant="outline" onClick={() => void auth.signOut()}>
          Sign out
        </Button>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title="Sign in"
      description="Pick a demo account, or sign in with the email address of your local account."
      footer={
        <p>
          No account yet?{" "}
          <Link
            className="text-foreground underline underline-offset-4"
            href={withRedirect(routes.signUp, redirectUrl)}
          >
            Create one
          </Link>
        </p>
      }
    >
      {auth.state.status === "signed-out" && auth.state.problem !== null ? (
        <ProblemAlert title="You were signed out" message={auth.state.problem} />
      ) : null}
      {problem !== null ? (
        <ProblemAlert title="Could not load the accounts" message={problem} onRetry={() => void reload()} />
      ) : accounts === null ? (
        <ListSkeleton />
      ) : accounts.length === 0 ? (
        <p className="text-sm text-muted-foreground">No accounts yet. Create one to get started.</p>
      ) : (
        <ul className="flex flex-col gap-2" aria-label="Accounts" data-testid="offline-accounts">
          {accounts.map((account) => {
            const name = accountName(account);
            return (
              <li key={account.id}>
                <Button
                  variant="outline"
                  className="h-auto w-full justify-start gap-3 py-2 text-left whitespace-normal"
                  disabled={pending !== null}
                  aria-label={`Sign in as ${name}`}
                  data-testid="offline-account"
                  data-account-id={account.id}
                  onClick={() => void signIn({ userId: account.id }, account.id)}
                >
                  <PersonAvatar name={name} imageUrl={account.imageUrl ?? undefined} />
                  <span className="flex min-w-0 flex-col">
                    <span className="truncate font-medium">{name}</span>
                    <span className="truncate text-xs text-muted-foreground">{membershipSummary(config, account)}</span>
                  </span>
                </Button>
              </li>
            );
          })}
        </ul>
      )}
      <Divider>or</Divider>
      <form className="flex flex-col gap-2" onSubmit={submitEmail}>
        <Label htmlFor={emailId}>Email</Label>
        <div className="flex gap-2">
          <Input
            id={emailId}
            name="email"
            type="email"
            autoComplete="email"
            required
            maxLength={200}
            placeholder="alice.johnson@example.com"
            data-testid="sign-in-email"
          />
          <Button type="submit" disabled={pending !== null}>
            {pending === "email" ? "Signing in…" : "Sign in"}
          </Button>
        </div>
      </form>
    </AuthCard>
  );
}

export function SignUpPage({ redirectUrl }: ClerkLocalPageProps) {
  const auth = useClerkLocal();
  const { config } = auth;
  const { Button, Input, Label, toast } = config.kit;
  const { routes, withRedirect } = config;
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const id = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const account = {
      firstName: String(form.get("firstName") ?? "").trim(),
      lastName: String(form.get("lastName") ?? "").trim(),
      email: String(form.get("email") ?? "").trim(),
    };
    setPending(true);
    try {
      const session = await auth.signUp(account);
      router.replace(nextAfterSignIn(config, session, redirectUrl));
    } catch (error) {
      toast.error(messageOf(error));
      setPending(false);
    }
  }

  return (
    <AuthCard
      title="Create an account"
      description="A local account on the offline identity provider."
      footer={
        <p>
          Already have an account?{" "}
          <Link
            className="text-foreground underline underline-offset-4"
            href={withRedirect(routes.signIn, redirectUrl)}
          >
            Sign in
          </Link>
        </p>
      }
    >
      <form className="flex flex-col gap-4" onSubmit={(event) => void submit(event)}>
        <div className="grid gap-4 sm:grid-cols-2">
          <div className="grid gap-2">
            <Label htmlFor={`${id}-first`}>First name</Label>
            <Input id={`${id}-first`} name="firstName" autoComplete="given-name" required maxLength={100} />
          </div>
          <div className="grid gap-2">
            <Label htmlFor={`${id}-last`}>Last name</Label>
            <Input id={`${id}-last`} name="lastName" autoComplete="family-name" maxLength={100} />
          </div>
        </div>
        <div className="grid gap-2">
          <Label htmlFor={`${id}-email`}>Email</Label>
          <Input id={`${id}-email`} name="email" type="email" autoComplete="email" required maxLength={200} />
        </div>
        <Button type="submit" disabled={pending} data-testid="sign-up-submit">
          {pending ? "Creating account…" : "Create account"}
        </Button>
      </form>
    </AuthCard>
  );
}

/** Name a new organization; the caller becomes its admin and it becomes the active one. */
export function CreateOrganizationForm({ onCreated }: { onCreated: (session: OfflineSession) => void }) {
  const auth = useClerkLocal();
  const { Button, Input, Label, toast } = auth.config.kit;
  const [pending, setPending] = useState(false);
  const id = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name") ?? "").trim();
    if (name === "") return;
    setPending(true);
    try {
      onCreated(await auth.createOrganization(name));
    } catch (error) {
      toast.error(messageOf(error));
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="flex flex-col gap-2" onSubmit={(event) => void submit(event)}>
      <Label htmlFor={id}>New organization</Label>
      <div className="flex gap-2">
        <Input
          id={id}
          name="name"
          required
          maxLength={100}
          placeholder="Acme Inc."
          autoComplete="organization"
          data-testid="new-org-name"
        />
        <Button type="submit" disabled={pending}>
          <PlusIcon aria-hidden />
          {pending ? "Creating…" : "Create"}
        </Button>
      </div>
    </form>
  );
}

function OrganizationButton({
  org,
  current,
  disabled,
  onChoose,
}: {
  org: OfflineOrganization;
  current: boolean;
  disabled: boolean;
  onChoose: () => void;
}) {
  const { kit, roleLabel } = useClerkLocal().config;
  const { Badge, Button } = kit;
  return (
    <Button
      variant="outline"
      className="h-auto w-full justify-start gap-3 py-2 text-left"
      disabled={disabled}
      aria-label={`Open ${org.name}`}
      data-testid="offline-org"
      data-org-id={org.id}
      onClick={onChoose}
    >
      <span className="flex size-8 shrink-0 items-center justify-center rounded-md bg-muted">
        <Building2Icon aria-hidden className="size-4" />
      </span>
      <span className="flex min-w-0 flex-1 flex-col">
        <span className="truncate font-medium">{org.name}</span>
        <span className="text-xs text-muted-foreground">{roleLabel(org.role)}</span>
      </span>
      {current ? <Badge variant="secondary">Current</Badge> : null}
    </Button>
  );
}

export function SelectOrgPage({ redirectUrl }: ClerkLocalPageProps) {
  const auth = useClerkLocal();
  const { Button, toast } = auth.config.kit;
  const { routes, withRedirect } = auth.config;
  const router = useRouter();
  const { organizations, problem, reload } = useOrganizations({ fresh: true });
  const [pending, setPending] = useState<string | null>(null);

  async function choose(org: OfflineOrganization) {
    setPending(org.id);
    try {
      await auth.selectOrganization(org.id);
      router.replace(redirectUrl);
    } catch (error) {
      toast.error(messageOf(error));
      setPending(null);
    }
  }

  if (auth.state.status === "loading") {
    return (
      <AuthCard title="Choose an organization" description="Loading your organizations…">
        <ListSkeleton rows={2} />
      </AuthCard>
    );
  }
  if (auth.state.status === "signed-out") {
    return (
      <AuthCard title="Choose an organization" description="Sign in first to see your organizations.">
        {auth.state.problem !== null ? <ProblemAlert title="Signed out" message={auth.state.problem} /> : null}
        <Button asChild>
          <Link href={withRedirect(routes.signIn, withRedirect(routes.selectOrg, redirectUrl))}>Sign in</Link>
        </Button>
      </AuthCard>
    );
  }

  const activeOrgId = auth.state.session.activeOrgId;
  return (
    <AuthCard title="Choose an organization" description="Projects and tasks belong to an organization.">
      {problem !== null ? (
        <ProblemAlert title="Could not load your organizations" message={problem} onRetry={() => void reload()} />
      ) : organizations === null ? (
        <ListSkeleton rows={2} />
      ) : organizations.length === 0 ? (
        <p className="text-sm text-muted-foreground">You are not in any organization yet. Create one below.</p>
      ) : (
        <ul className="flex flex-col gap-2" aria-label="Your organizations">
          {organizations.map((org) => (
            <li key={org.id}>
              <OrganizationButton
                org={org}
                current={org.id === activeOrgId}
                disabled={pending !== null}
                onChoose={() => void choose(org)}
              />
            </li>
          ))}
        </ul>
      )}
      <Divider>or</Divider>
      <CreateOrganizationForm onCreated={() => router.replace(redirectUrl)} />
    </AuthCard>
  );
}
