/**
 * The offline stack in its own process (as under `npm run dev`), for benchmarks that measure it
 * from outside over real connections, and the identity provider's session tokens.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../offline/stack";

/** The identity provider and the API key its directory and session endpoints want. */
export type BenchIdp = { url: string; key: string };

export type BenchStack = {
  convexUrl: string;
  siteUrl: string;
  idp: BenchIdp;
  /** The key's file, for a Next.js server that signs people in through the provider. */
  apiKeyFile: string;
  /** Sets deployment variables as `npx convex env set` does (null removes one). */
  setEnv: (changes: Record<string, string | null>) => Promise<void>;
  stop: () => Promise<void>;
};

/**
 * Starts `offline/cli.ts` with a fresh data directory (demo data included) and waits until it is
 * ready: on free ports, or on the default ones (3210–3212) for a build that has them baked in.
 */
export async function startStack(prefix: string, options: { defaultPorts?: boolean } = {}): Promise<BenchStack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  const [port, sitePort, idpPort] =
    options.defaultPorts === true ? [3210, 3211, 3212] : [await freePort(), await freePort(), await freePort()];
  const child: ChildProcess = spawn(
    process.execPath,
    // --push: the functions use Convex's components, which only the Convex CLI's push brings.
    ["--import", "tsx", "offline/cli.ts", "--push", "--quiet", "--data-dir", dataDir, "--port", String(port)].concat([
      "--site-port",
      String(sitePort),
      "--idp-port",
      String(idpPort),
    ]),
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  // Should this process die without calling stop(), the stack must not outlive it.
  const killOnExit = () => child.kill("SIGTERM");
  process.once("exit", killOnExit);
  await new Promise<void>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("offline stack ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the offline stack exited (${code}) before it was ready`)));
  });
  const apiKeyFile = path.join(dataDir, "idp", "api-key");
  return {
    convexUrl: `http://127.0.0.1:${port}`,
    siteUrl: `http://127.0.0.1:${sitePort}`,
    idp: { url: `http://127.0.0.1:${idpPort}`, key: readFileSync(apiKeyFile, "utf8").trim() },
    apiKeyFile,
    setEnv: async (changes) => {
      const adminKey = readFileSync(path.join(dataDir, "convex", "admin_key"), "utf8").trim();
      const url = `http://127.0.0.1:${port}/api/update_environment_variables`;
      const response = await fetch(url, {
        method: "POST",
        headers: { authorization: `Convex ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ changes: Object.entries(changes).map(([name, value]) => ({ name, value })) }),
      });
      if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
    },
    stop: async () => {
      process.off("exit", killOnExit);
      if (child.exitCode !== null) return rmSync(dataDir, { recursive: true, force: true });
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, {
    ...init,
    headers: { "content-type": "application/json", ...(init?.headers ?? {}) },
  });
  if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const withKey = (idp: BenchIdp) => ({ authorization: `Bearer ${idp.key}` });

/** The id of the demo organization with this slug. */
export async function organizationId(idp: BenchIdp, slug: string): Promise<string> {
  const orgs = await json<{ data: { id: string; slug: string }[] }>(`${idp.url}/directory/organizations`, {
    headers: withKey(idp),
  });
  return orgs.data.find((org) => org.slug === slug)!.id;
}

/** Signs `email` in with `orgId` active; returns a function that mints a fresh session token (they live 60 s). */
export async function signIn(idp: BenchIdp, email: string, orgId: string): Promise<() => Promise<string>> {
  const session = await json<{ id: string }>(`${idp.url}/sessions`, {
    method: "POST",
    headers: withKey(idp),
    body: JSON.stringify({ email_address: email, organization_id: orgId }),
  });
  return async () =>
    (await json<{ jwt: string }>(`${idp.url}/sessions/${session.id}/token`, { headers: withKey(idp) })).jwt;
}

/** The p-th percentile of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
