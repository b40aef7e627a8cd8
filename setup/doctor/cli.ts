/**
 * `npm run doctor`: gathers the inputs (flags, environment, the deployment's variables, the offline
 * stack's answers, a sample token) and prints the checks of ./checks. Everything it touches is
 * injected, so tests run it without a network, the Convex CLI or a .env.local.
 */
import { parseArgs } from "node:util";
import { DEFAULT_OFFLINE_CONVEX_URL, resolveDevMode } from "../config";
import {
  OFFLINE_SAMPLE_EMAIL,
  diagnose,
  exitCode,
  offlineIdpUrl,
  render,
  sampleTokenHint,
  type DoctorInputs,
  type Probe,
} from "./checks";

export const USAGE = `Usage: npm run doctor -- [options]

Checks .env.local (and the environment), convex/auth.config.ts against the deployment's variables
(connected, to a Convex deployment or a self-hosted backend: read with \`npx convex env list\`, or
passed as flags), a sample token and the offline stack, and prints the fix for every problem.
Exits 1 when a problem is found.

Options:
  --issuer-domain <url>    the deployment's CLERK_JWT_ISSUER_DOMAIN (wins over what the deployment lists)
  --webhook-secret <s>     the deployment's CLERK_WEBHOOK_SECRET (wins over what the deployment lists)
  --no-deployment          do not run \`npx convex env list\`; use only the flags and the local environment
  --webhook-url <url>      the endpoint URL configured in Clerk dashboard → Webhooks
  --token <jwt>            a sample token (offline: minted from the local identity provider)
  --help                   this text`;

export type DoctorDeps = {
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
  readAuthConfig: () => Promise<string | null>;
  /**
   * The deployment's variables (`npx convex env list`, run with `env`: CONVEX_DEPLOYMENT or the
   * CONVEX_SELF_HOSTED_* variables select the deployment), or why they could not be read.
   */
  readDeploymentEnv: (
    env: Record<string, string | undefined>,
  ) => Promise<{ vars: Record<string, string> } | { why: string }>;
  /** The offline identity provider's API key (from its data directory), or null when there is none. */
  offlineApiKey: () => string | null;
  nowSeconds: number;
  print: (line: string) => void;
};

const TIMEOUT_MS = 2_000;

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error.cause as { code?: string } | undefined)?.code;
    return cause ?? error.message;
  }
  return String(error);
}

async function getJson(fetchFn: typeof fetch, url: string, init?: RequestInit): Promise<Probe> {
  try {
    const response = await fetchFn(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) return { ok: false, why: `${init?.method ?? "GET"} ${url} answered ${response.status}` };
    const text = await response.text();
    try {
      return { ok: true, body: text === "" ? null : (JSON.parse(text) as unknown) };
    } catch {
      return { ok: true, body: text };
    }
  } catch (error) {
    return { ok: false, why: `${init?.method ?? "GET"} ${url} failed (${describe(error)})` };
  }
}

/** A token for the demo admin from the offline identity provider, or why there is none. */
async function mintOfflineToken(
  fetchFn: typeof fetch,
  idp: string,
  key: string | null,
): Promise<{ jwt: string } | { why: string }> {
  if (key === null) {
    return {
      why: "the offline identity provider's API key (.offline/idp/api-key) is missing: start npm run dev first",
    };
  }
  const authorization = `Bearer ${key}`;
  const session = await getJson(fetchFn, `${idp}/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: JSON.stringify({ email_address: OFFLINE_SAMPLE_EMAIL }),
  });
  if (!session.ok) return { why: `${session.why} (start the offline stack with npm run dev)` };
  const id = (session.body as { id?: unknown } | null)?.id;
  if (typeof id !== "string") return { why: `${idp}/sessions answered without a session id` };
  const token = await getJson(fetchFn, `${idp}/sessions/${encodeURIComponent(id)}/token`, {
    headers: { authorization },
  });
  if (!token.ok) return { why: token.why };
  const jwt = (token.body as { jwt?: unknown } | null)?.jwt;
  return typeof jwt === "string" ? { jwt } : { why: `${idp}/sessions/${id}/token answered without a jwt` };
}

/** Runs the doctor and returns its exit code (1 when a problem was found, 2 for bad arguments). */
export async function main(argv: string[], deps: DoctorDeps): Promise<number> {
  let values: {
    "issuer-domain"?: string;
    "webhook-secret"?: string;
    "webhook-url"?: string;
    "no-deployment"?: boolean;
    token?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        "issuer-domain": { type: "string" },
        "webhook-secret": { type: "string" },
        "webhook-url": { type: "string" },
        "no-deployment": { type: "boolean" },
        token: { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    deps.print(`${describe(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    deps.print(USAGE);
    return 0;
  }

  const { env } = deps;
  const mode = resolveDevMode(env).mode;
  const offline = mode === "offline";
  const idp = offlineIdpUrl(env);
  const probes = offline
    ? {
        convex: await getJson(deps.fetch, `${DEFAULT_OFFLINE_CONVEX_URL}/version`),
        idp: await getJson(deps.fetch, `${idp}/.well-known/openid-configuration`),
        tokenSettings: await getJson(deps.fetch, `${idp}/token-settings`),
      }
    : null;

  let token: DoctorInputs["token"];
  if (values.token !== undefined) token = { jwt: values.token };
  else if (probes !== null && probes.idp.ok) token = await mintOfflineToken(deps.fetch, idp, deps.offlineApiKey());
  else if (probes !== null)
    token = { why: `the offline identity provider is not answering at ${idp} (start it with npm run dev)` };
  else token = { why: sampleTokenHint() };

  // Only a connected deployment has variables to list, and only flags the user did not give need it.
  const listDeployment =
    mode === "connected" &&
    !values["no-deployment"] &&
    (values["issuer-domain"] === undefined || values["webhook-secret"] === undefined);
  if (listDeployment) {
    // It can take a while (a network round trip, or up to its timeout): say what is happening.
    deps.print("… reading the deployment's variables with `npx convex env list` (--no-deployment skips this)");
  }
  const listed = listDeployment ? await deps.readDeploymentEnv(env) : null;
  const deploymentEnv = listed !== null && "vars" in listed ? listed.vars : null;
  // Flags win over the listing. The local environment only stands in for a deployment that was not
  // read: once it was, a variable it lacks is missing there, whatever .env.local says.
  const deploymentValue = (name: string) => {
    const value = deploymentEnv === null ? env[name] : deploymentEnv[name];
    return value?.trim() ? value : undefined;
  };

  const findings = diagnose({
    env,
    issuerDomain: values["issuer-domain"] ?? deploymentValue("CLERK_JWT_ISSUER_DOMAIN") ?? null,
    webhookSecret: values["webhook-secret"] ?? deploymentValue("CLERK_WEBHOOK_SECRET") ?? null,
    deploymentEnv,
    deploymentEnvError: listed !== null && "why" in listed ? listed.why : null,
    webhookUrl: values["webhook-url"] ?? null,
    token,
    offline: probes,
    authConfig: await deps.readAuthConfig(),
    nowSeconds: deps.nowSeconds,
  });
  for (const line of render(findings)) deps.print(line);
  return exitCode(findings);
}
