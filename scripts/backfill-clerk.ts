/**
 * `npm run backfill:clerk [-- --prod]`: copies the users, organizations and memberships that existed
 * in Clerk before its webhook endpoint did into the Convex deployment. Reads them with Clerk's own
 * Backend API client (CLERK_SECRET_KEY, from the environment or .env.local) and applies them with
 * the internal mutation `clerkWebhook:backfill` through `npx convex run` (which picks the deployment
 * as `npx convex dev` does; `--prod` for production). Safe to run again: the newest record wins and
 * deleted records stay deleted, as for webhook deliveries.
 */
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import nextEnv from "@next/env";
import { createClerkClient } from "@clerk/nextjs/server";

export type BackfillKind = "user" | "organization" | "organizationMembership";
export type BackfillRecord = { kind: BackfillKind; data: unknown };
export type BackfillOutcome = "applied" | "stale" | "ignored" | { invalid: string };
/** Applies one batch (at most BATCH_SIZE records) and answers one outcome per record. */
export type ApplyBatch = (records: BackfillRecord[]) => Promise<BackfillOutcome[]>;

type Page<T> = { data: T[]; totalCount: number };
type Raw = { raw: unknown; id: string };
/** The part of Clerk's Backend API client this uses. */
export type ClerkLists = {
  users: { getUserList(params: { limit: number; offset: number }): Promise<Page<Raw>> };
  organizations: {
    getOrganizationList(params: { limit: number; offset: number }): Promise<Page<Raw>>;
    getOrganizationMembershipList(params: {
      organizationId: string;
      limit: number;
      offset: number;
    }): Promise<Page<Raw>>;
  };
};

/** Clerk's Backend API pages hold at most 500; the mutation takes at most 100 records. */
const PAGE_SIZE = 100;
export const BATCH_SIZE = 100;

async function* pages<T extends Raw>(list: (params: { limit: number; offset: number }) => Promise<Page<T>>) {
  for (let offset = 0; ; offset += PAGE_SIZE) {
    const page = await list({ limit: PAGE_SIZE, offset });
    if (page.data.length > 0) yield page.data;
    if (page.data.length < PAGE_SIZE || offset + page.data.length >= page.totalCount) return;
  }
}

export type BackfillReport = Record<
  BackfillKind,
  { applied: number; stale: number; ignored: number; invalid: string[] }
>;

/**
 * Walks users, then organizations with their memberships (so each membership finds its user and
 * organization already there), applying each page as it arrives.
 */
export async function backfillFromClerk(
  clerk: ClerkLists,
  apply: ApplyBatch,
  log: (line: string) => void = () => {},
): Promise<BackfillReport> {
  const report: BackfillReport = {
    user: { applied: 0, stale: 0, ignored: 0, invalid: [] },
    organization: { applied: 0, stale: 0, ignored: 0, invalid: [] },
    organizationMembership: { applied: 0, stale: 0, ignored: 0, invalid: [] },
  };
  const send = async (kind: BackfillKind, rows: Raw[]) => {
    for (let i = 0; i < rows.length; i += BATCH_SIZE) {
      const batch = rows.slice(i, i + BATCH_SIZE);
      const outcomes = await apply(batch.map((row) => ({ kind, data: row.raw })));
      outcomes.forEach((outcome, j) => {
        if (typeof outcome === "string") report[kind][outcome]++;
        else report[kind].invalid.push(`${batch[j]?.id}: ${outcome.invalid}`);
      });
    }
    const counts = report[kind];
    log(`${kind}: ${counts.applied} applied, ${counts.stale} already newer, ${counts.invalid.length} invalid`);
  };
  for await (const users of pages((p) => clerk.users.getUserList(p))) await send("user", users);
  for await (const orgs of pages((p) => clerk.organizations.getOrganizationList(p))) {
    await send("organization", orgs);
    for (const org of orgs) {
      for await (const memberships of pages((p) =>
        clerk.organizations.getOrganizationMembershipList({ organizationId: org.id, ...p }),
      )) {
        await send("organizationMembership", memberships);
      }
    }
  }
  return report;
}

/** `npx convex run clerkWebhook:backfill` with one batch, against the deployment the CLI picks. */
function convexRun(extraArgs: string[]): ApplyBatch {
  return async (records) => {
    const run = spawnSync(
      "npx",
      ["convex", "run", ...extraArgs, "clerkWebhook:backfill", JSON.stringify({ records })],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 1024 * 1024 },
    );
    if (run.status !== 0) throw new Error(`npx convex run clerkWebhook:backfill failed (exit ${run.status}).`);
    return JSON.parse(run.stdout) as BackfillOutcome[];
  };
}

async function main() {
  nextEnv.loadEnvConfig(process.cwd(), true, { info: () => {}, error: console.error });
  const secretKey = process.env.CLERK_SECRET_KEY;
  if (secretKey === undefined || !/^sk_(test|live)_/.test(secretKey)) {
    console.error(
      "CLERK_SECRET_KEY is not set (or not an sk_test_/sk_live_ key). Put the Clerk instance's secret key " +
        "(Clerk dashboard → API keys) in .env.local or the environment; use the production instance's key with --prod.",
    );
    process.exitCode = 1;
    return;
  }
  const clerk = createClerkClient({ secretKey }) as unknown as ClerkLists;
  const report = await backfillFromClerk(clerk, convexRun(process.argv.slice(2)), (line) => console.log(line));
  const invalid = Object.values(report).flatMap((counts) => counts.invalid);
  for (const line of invalid) console.error(`invalid record ${line}`);
  if (invalid.length > 0) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
