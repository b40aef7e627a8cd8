// Offline mode, server side only: the local identity provider's API as the app's server calls it,
// with the provider's API key. The key is a file the offline stack writes (0600) under its data
// directory; only this server and the tests read it, so pages and other sites cannot use the
// provider (they go through the app's /api/offline routes, which act for the signed-in session).
import { offlineIdpApiKeyFile, offlineIdpUrl } from "../../setup/config";

import { OfflineIdentityError } from "./offline-errors";

const TIMEOUT_MS = 5_000;

/** The identity provider's HTTP API, with the key. */
export type IdpAdmin = {
  /** JSON in and out; throws OfflineIdentityError with the provider's status and code. */
  request(method: string, path: string, body?: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
};

type Fs = { readFileSync(path: string, encoding: "utf8"): string };
type Path = { resolve(...paths: string[]): string };

/**
 * Node's modules, fetched at run time: this module is part of `@/lib/auth/server`, which the
 * middleware (Edge runtime, no file system) also imports; only Node.js route handlers and server
 * components ever call into it.
 */
function nodeModule<T>(name: "node:fs" | "node:path"): T {
  const getBuiltinModule = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof getBuiltinModule !== "function") {
    throw new OfflineIdentityError(
      500,
      "misconfigured",
      "The offline identity provider is only reachable from Node.js.",
    );
  }
  return getBuiltinModule(name) as T;
}

/**
 * The key file: `OFFLINE_IDP_API_KEY_FILE` (the offline stack prints it; the browser tests set it),
 * else `.offline/idp/api-key` in the project, where `npm run dev` keeps it.
 */
export function apiKeyFile(): string {
  return nodeModule<Path>("node:path").resolve(
    process.cwd(),
    offlineIdpApiKeyFile({ OFFLINE_IDP_API_KEY_FILE: process.env.OFFLINE_IDP_API_KEY_FILE }),
  );
}

function readKey(file: string): string {
  let text: string;
  try {
    text = nodeModule<Fs>("node:fs").readFileSync(file, "utf8");
  } catch {
    throw new OfflineIdentityError(
      503,
      "misconfigured",
      "The app's server cannot read the offline identity provider's API key. Start the offline stack with npm run dev " +
        "(or set OFFLINE_IDP_API_KEY_FILE to the api-key file in its data directory).",
    );
  }
  return text.trim();
}

/** The provider at `baseUrl`, called with the key `key()` returns (read again when it is refused). */
export function createIdpAdmin(options: {
  baseUrl: string;
  key: (fresh: boolean) => string;
  fetch?: typeof fetch;
}): IdpAdmin {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function once(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
    key: string,
    timeoutMs: number,
  ) {
    try {
      return await doFetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined && { "content-type": "application/json" }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        cache: "no-store",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      throw new OfflineIdentityError(
        503,
        "unreachable",
        `The offline identity provider at ${baseUrl} is not reachable. Start the offline stack with npm run dev.`,
      );
    }
  }

  return {
    async request(method, path, body, timeoutMs = TIMEOUT_MS) {
      let response = await once(method, path, body, options.key(false), timeoutMs);
      // The stack was restarted with --reset since the key was read: read it again, once.
      if (response.status === 401) response = await once(method, path, body, options.key(true), timeoutMs);
      const raw = await response.text();
      let parsed: unknown = null;
      try {
        parsed = raw === "" ? null : JSON.parse(raw);
      } catch {
        parsed = null;
      }
      if (response.ok) return parsed;
      if (response.status === 401) {
        throw new OfflineIdentityError(
          503,
          "misconfigured",
          "The offline identity provider refused the app's API key: the app and the offline stack use different data " +
            "directories (OFFLINE_IDP_API_KEY_FILE), or the stack was reset. Restart npm run dev.",
        );
      }
      const error =
        typeof parsed === "object" && parsed !== null && "error" in parsed && typeof parsed.error === "object"
          ? (parsed.error as { code?: unknown; message?: unknown })
          : {};
      throw new OfflineIdentityError(
        response.status,
        typeof error.code === "string" ? error.code : String(response.status),
        typeof error.message === "string" ? error.message : `The identity provider answered ${response.status}.`,
      );
    },
  };
}

let defaultAdmin: IdpAdmin | null = null;

/** The app's provider (`NEXT_PUBLIC_OFFLINE_IDP_URL`) with the key from `apiKeyFile()`. */
export function idpAdmin(): IdpAdmin {
  if (defaultAdmin === null) {
    let cached: string | null = null;
    defaultAdmin = createIdpAdmin({
      baseUrl: offlineIdpUrl(),
      key: (fresh) => {
        if (fresh || cached === null) cached = readKey(apiKeyFile());
        return cached;
      },
    });
  }
  return defaultAdmin;
}
