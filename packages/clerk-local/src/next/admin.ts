// Server side only: the identity provider's HTTP API as the app's server calls it, with the
// provider's API key. The key is a file the provider writes (0600) in its data directory; only the
// app's server and tools read it, so pages and other sites cannot use the provider (they go through
// the app's /api/offline routes, which act for the signed-in session).
import { OfflineIdentityError } from "../shared/errors";

const TIMEOUT_MS = 5_000;

/** The identity provider's HTTP API, with the key. */
export type IdpAdmin = {
  /** JSON in and out; throws OfflineIdentityError with the provider's status and code. */
  request(method: string, path: string, body?: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
};

/** Gives the API key; `fresh` asks to read it again (the provider refused the one given). */
export type ApiKeySource = (fresh: boolean) => string;

type Fs = { readFileSync(path: string, encoding: "utf8"): string };
type Path = { resolve(...paths: string[]): string };

/**
 * Node's modules, fetched at run time: this module is reachable from the app's middleware (Edge
 * runtime, no file system) through `./next`; only Node.js route handlers and server components ever
 * call into it.
 */
function nodeModule<T>(name: "node:fs" | "node:path"): T {
  const getBuiltinModule = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof getBuiltinModule !== "function") {
    throw new OfflineIdentityError(500, "misconfigured", "The local identity provider is only reachable from Node.js.");
  }
  return getBuiltinModule(name) as T;
}

/**
 * The key kept in `file` (relative paths from the working directory), read on first use and again
 * when the provider refuses it. `help` ends the message when it cannot be read: how to start the
 * provider, or where the app looks for the key.
 */
export function apiKeyFromFile(file: string | (() => string), options: { help?: string } = {}): ApiKeySource {
  let cached: string | null = null;
  return (fresh) => {
    if (fresh || cached === null) {
      const resolved = nodeModule<Path>("node:path").resolve(process.cwd(), typeof file === "function" ? file() : file);
      let text: string;
      try {
        text = nodeModule<Fs>("node:fs").readFileSync(resolved, "utf8");
      } catch {
        throw new OfflineIdentityError(
          503,
          "misconfigured",
          `The app's server cannot read the local identity provider's API key (${resolved}).` +
            (options.help ? ` ${options.help}` : ""),
        );
      }
      cached = text.trim();
    }
    return cached;
  };
}

/**
 * The provider at `baseUrl`, called with the key `key()` gives (read again, once, when it is
 * refused: the provider was reset since). `help` ends the messages of the errors a developer must
 * act on (provider unreachable, key refused).
 */
export function createIdpAdmin(options: {
  baseUrl: string;
  key: ApiKeySource;
  fetch?: typeof fetch;
  help?: string;
}): IdpAdmin {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const help = options.help ? ` ${options.help}` : "";

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
        `The local identity provider at ${baseUrl} is not reachable.${help}`,
      );
    }
  }

  return {
    async request(method, path, body, timeoutMs = TIMEOUT_MS) {
      let response = await once(method, path, body, options.key(false), timeoutMs);
      // The provider was reset (a new key) since the key was read: read it again, once.
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
          "The local identity provider refused the app's API key: the app reads the key of another data directory, " +
            `or the provider was reset.${help}`,
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
