"use client";

import { BookOpenIcon, RefreshCwIcon, ShieldAlertIcon } from "lucide-react";
import { Fragment, useId } from "react";

import { ErrorState } from "@/components/error-state";
import { Button } from "@/components/ui/button";
import type { AuthDiagnosis } from "@/setup/diagnose";
import { showsSetupDetails } from "@/setup/config";

/** Text with `backtick` spans shown as code (commands and values to copy). */
function WithCode({ text }: { text: string }) {
  const parts = text.split("`");
  return (
    <>
      {parts.map((part, index) =>
        index % 2 === 1 ? (
          <code key={index} className="rounded bg-muted px-1 py-0.5 font-mono text-[0.8125rem] break-words">
            {part}
          </code>
        ) : (
          <Fragment key={index}>{part}</Fragment>
        ),
      )}
    </>
  );
}

/**
 * A setup problem that keeps a signed-in user out, in development (and offline): the cause, the
 * fix and what the app saw, linking to the documentation section. It stands in for the page, so it
 * carries the page's heading.
 */
function SetupBanner({ diagnosis, retry }: { diagnosis: AuthDiagnosis; retry: () => void }) {
  const headingId = useId();
  return (
    <section
      role="alert"
      aria-labelledby={headingId}
      data-testid="auth-problem"
      data-cause={diagnosis.cause}
      className="mx-auto flex w-full max-w-3xl flex-col gap-4 rounded-lg border border-amber-500/60 bg-amber-50 p-5 text-amber-950 dark:bg-amber-950/40 dark:text-amber-50"
    >
      <div className="flex items-start gap-3">
        <ShieldAlertIcon aria-hidden className="mt-1 size-5 shrink-0" />
        <div className="flex flex-col gap-1">
          <p className="text-xs font-medium tracking-wide uppercase">Setup problem · shown in development only</p>
          <h1 id={headingId} className="text-lg font-semibold">
            {diagnosis.title}
          </h1>
          <p className="text-sm leading-relaxed">
            <WithCode text={diagnosis.detail} />
          </p>
        </div>
      </div>
      <div className="flex flex-col gap-2 pl-8">
        <h2 className="text-sm font-semibold">How to fix it</h2>
        <ol className="flex list-decimal flex-col gap-1.5 pl-5 text-sm leading-relaxed" data-testid="auth-problem-fix">
          {diagnosis.fix.map((step) => (
            <li key={step}>
              <WithCode text={step} />
            </li>
          ))}
        </ol>
      </div>
      {diagnosis.facts.length > 0 ? (
        <details className="pl-8 text-sm">
          <summary className="cursor-pointer font-medium">What the app saw</summary>
          <dl className="mt-2 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
            {diagnosis.facts.map(({ label, value }) => (
              <Fragment key={label}>
                <dt className="font-medium">{label}</dt>
                <dd className="font-mono text-[0.8125rem] break-words">{value}</dd>
              </Fragment>
            ))}
          </dl>
        </details>
      ) : null}
      <div className="flex flex-wrap gap-2 pl-8">
        <Button variant="outline" onClick={retry}>
          <RefreshCwIcon aria-hidden />
          Reload
        </Button>
        <Button asChild variant="link" className="text-amber-950 dark:text-amber-50">
          <a href={`${diagnosis.docs.path}#${diagnosis.docs.anchor}`} data-testid="auth-problem-docs">
            <BookOpenIcon aria-hidden />
            Docs: {diagnosis.docs.label}
          </a>
        </Button>
      </div>
    </section>
  );
}

/** What the production banner says; the diagnosis itself goes to the console. */
const SHORT_MESSAGE =
  "We could not open your workspace because of a problem with this app's sign-in setup. Try again later; if it keeps happening, contact the people who run this app.";

/**
 * A setup problem, as each audience should see it: the whole diagnosis for developers; for users
 * of a production build, a short message (the diagnosis is in the console, see WorkspaceProvider).
 */
export function AuthProblem({ diagnosis, retry }: { diagnosis: AuthDiagnosis; retry: () => void }) {
  if (showsSetupDetails()) return <SetupBanner diagnosis={diagnosis} retry={retry} />;
  return (
    <ErrorState
      headingLevel="h1"
      icon={<ShieldAlertIcon aria-hidden className="size-5" />}
      title="Your workspace could not be opened"
      description={SHORT_MESSAGE}
      actions={
        <Button variant="outline" onClick={retry}>
          <RefreshCwIcon aria-hidden />
          Try again
        </Button>
      }
    />
  );
}
