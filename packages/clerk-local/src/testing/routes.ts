// The /api/offline routes in-process, against a real identity provider with its API key, and a
// browser's cookie jar in front of them: what a test of the React client or of the routes needs.
import { startIdentityProvider, type IdentityProvider, type IdentityProviderConfig } from "../idp/provider";
import { createIdpAdmin } from "../next/admin";
import { createOfflineRoutes } from "../next/routes";
import { tempDataDir } from "./idp";

/** The origin the simulated browser's pages are on. */
export const APP_ORIGIN = "http://localhost:3000";

/** A provider on a free port with a fresh data directory (and `config`), and the routes an app serves over it. */
export async function startOfflineRoutes(config: IdentityProviderConfig = {}) {
  const data = tempDataDir();
  const idp: IdentityProvider = await startIdentityProvider({ ...config, port: 0, dataDir: data.dir, quiet: true });
  const admin = createIdpAdmin({ baseUrl: idp.url, key: () => idp.apiKey });
  const handle = createOfflineRoutes({ idp: () => admin });
  return {
    idp,
    handle,
    close: async () => {
      await idp.close();
      data.remove();
    },
  };
}

/**
 * A browser on the app's origin: its cookie jar (HttpOnly ones included, as the browser keeps
 * them), and `fetch` for `/api/offline/…` as a page's same-origin request, answered by `handle`.
 * `headers` replace what a page would send (Origin, Sec-Fetch-Site, Host) to act as something else.
 */
export function browser(handle: (request: Request, segments: readonly string[]) => Promise<Response>) {
  const jar = new Map<string, string>();
  /** Every Set-Cookie line received, for checking attributes. */
  const setCookies: string[] = [];
  const request = async (
    input: RequestInfo | URL,
    init: RequestInit = {},
    headers: Record<string, string | null> = {},
  ): Promise<Response> => {
    const url = new URL(String(input), APP_ORIGIN);
    const sent = new Headers(init.headers);
    const defaults: Record<string, string | null> = {
      host: url.host,
      "sec-fetch-site": "same-origin",
      ...(init.method !== undefined && init.method !== "GET" && { origin: url.origin }),
      cookie: [...jar].map(([name, value]) => `${name}=${value}`).join("; ") || null,
      ...headers,
    };
    for (const [name, value] of Object.entries(defaults)) {
      if (value === null) sent.delete(name);
      else sent.set(name, value);
    }
    const segments = url.pathname
      .replace(/^\/api\/offline\/?/, "")
      .split("/")
      .filter(Boolean)
      .map(decodeURIComponent);
    const response = await handle(new Request(url, { ...init, headers: sent }), segments);
    for (const line of response.headers.getSetCookie()) {
      setCookies.push(line);
      const [pair, ...attributes] = line.split(";");
      const [name, ...value] = pair!.split("=");
      const cleared = attributes.some((attribute) => /^\s*max-age=0$/i.test(attribute));
      if (cleared) jar.delete(name!.trim());
      else jar.set(name!.trim(), value.join("="));
    }
    return response;
  };
  return {
    jar,
    setCookies,
    /** `fetch` as the page's client uses it. */
    fetch: ((input: RequestInfo | URL, init?: RequestInit) => request(input, init)) as typeof fetch,
    /** One request with some headers replaced (null removes one). */
    request,
  };
}
