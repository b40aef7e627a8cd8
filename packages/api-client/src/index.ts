/**
 * @tenant-workspace/api-client: a typed client for the workspace's HTTP API (`/api/v1`), generated
 * from the OpenAPI document the API serves (`src/schema.ts`, by openapi-typescript) and sent with
 * openapi-fetch. It uses only `fetch`, so it runs in browsers, Node.js and React Native. See README.md.
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, operations, paths } from "./schema";

export type { components, operations, paths };

/** Every refusal's body: `{ error: { code, message } }`. */
export type ApiErrorBody = components["schemas"]["Error"];
export type ApiErrorCode = ApiErrorBody["error"]["code"];
export type Me = components["schemas"]["Me"];
export type Project = components["schemas"]["Project"];
export type Task = components["schemas"]["Task"];
export type ActivityEntry = components["schemas"]["ActivityEntry"];

export type ApiClient = Client<paths>;

/** A token, or nothing to send the request without one (only `GET /openapi.json` takes that). */
type TokenSource = () => string | null | undefined | Promise<string | null | undefined>;

export type ApiClientOptions = {
  /**
   * The API's base URL: the deployment's site URL + `/api/v1`, e.g.
   * `https://<deployment>.convex.site/api/v1` (offline: `http://127.0.0.1:3211/api/v1`).
   */
  baseUrl: string;
  /**
   * Called before every request for the Clerk token to send as `Authorization: Bearer …`: Clerk's
   * `getToken()` (it caches and refreshes; tokens live 60 s), or a service forwarding its caller's.
   */
  getToken?: TokenSource;
  /** Another `fetch` (tests, instrumentation). Default: the global one. */
  fetch?: ClientOptions["fetch"];
  /** Headers sent with every request. */
  headers?: ClientOptions["headers"];
};

/**
 * A client for the API. Each method takes the path as the OpenAPI document writes it and answers
 * `{ data, error, response }`: `data` typed by the route's success schema, or `error` typed as
 * {@link ApiErrorBody}.
 *
 * ```ts
 * const api = createApiClient({ baseUrl, getToken: () => getToken() });
 * const { data, error } = await api.GET("/projects/{id}/tasks", { params: { path: { id }, query: { limit: 50 } } });
 * ```
 */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    ...(options.fetch !== undefined && { fetch: options.fetch }),
    ...(options.headers !== undefined && { headers: options.headers }),
  });
  const { getToken } = options;
  if (getToken !== undefined) {
    client.use({
      async onRequest({ request }) {
        const token = await getToken();
        if (token) request.headers.set("Authorization", `Bearer ${token}`);
        return request;
      },
    });
  }
  return client;
}

/** A refusal from the API (or a reply that is not the API's), as an exception. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** The body the API answered, for passing a refusal on unchanged. */
  get body(): ApiErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== "object" || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    typeof (error as { message?: unknown }).message === "string"
  );
}

/**
 * The data of a result, or an {@link ApiError} thrown with the refusal's status, code and message.
 * A failure that is not in the API's format (a proxy's page, a 502) becomes `INTERNAL`.
 */
export function unwrap<Data>(result: { data?: Data; error?: unknown; response: Response }): Data {
  const { data, error, response } = result;
  if (error === undefined && response.ok) return data as Data;
  if (isErrorBody(error)) throw new ApiError(response.status, error.error.code, error.error.message);
  throw new ApiError(
    response.status,
    "INTERNAL",
    `Unexpected answer ${response.status} ${response.statusText} from ${response.url}.`,
  );
}

/** One page of a list route, as the API answers it. */
export type Page<T> = { data: T[]; nextCursor: string | null };

/**
 * The pages of a list route, one request at a time, following `nextCursor` until it is null.
 * Refusals throw {@link ApiError}. Nothing is requested before the consumer asks for a page.
 *
 * ```ts
 * for await (const tasks of pages((cursor) => api.GET("/projects/{id}/tasks", { params: { path: { id }, query: { cursor } } }))) { … }
 * ```
 */
export async function* pages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ data?: Page<T>; error?: unknown; response: Response }>,
): AsyncGenerator<T[], void, undefined> {
  let cursor: string | undefined;
  do {
    const page = unwrap(await fetchPage(cursor));
    yield page.data;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
