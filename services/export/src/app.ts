/**
 * The export service's HTTP interface (Hono): `GET /export?format=csv|json` streams the caller's
 * active organization, `GET /healthz` says it is up. Refusals are `{ "error": { "code", "message" } }`
 * with the statuses of the workspace API, whose refusals it passes on unchanged.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { ApiError, createApiClient, type ApiErrorBody, type ApiErrorCode } from "@tenant-workspace/api-client";
import { createTokenVerifier } from "./auth";
import type { ExportServiceConfig } from "./config";
import { CONTENT_TYPES, exportChunks, FORMATS, type ExportStats, type Format } from "./export";

/** A request to the API that takes longer than this fails the export. */
const API_TIMEOUT_MS = 30_000;

export type ExportAppOptions = {
  /** The `fetch` used for the API and the JWKS (tests, instrumentation). Default: the global one. */
  fetch?: typeof fetch;
  /** Where the one-line summary of each export goes; default console.log. */
  log?: (line: string) => void;
};

const body = (code: ApiErrorCode, message: string): ApiErrorBody => ({ error: { code, message } });

function json(status: number, payload: ApiErrorBody, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(payload), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

function filename(slug: string | null, orgId: string, format: Format): string {
  const name = (slug ?? orgId).replace(/[^A-Za-z0-9._-]/g, "-");
  return `${name}-${new Date().toISOString().slice(0, 10)}.${format}`;
}

export function createExportApp(config: ExportServiceConfig, options: ExportAppOptions = {}): Hono {
  const fetchImpl = options.fetch ?? fetch;
  const log = options.log ?? ((line: string) => console.log(line));
  const verify = createTokenVerifier(config, { fetch: fetchImpl });
  const app = new Hono();

  // Browsers may call it from the apps whose tokens it accepts.
  app.use(
    "*",
    cors({
      origin: config.authorizedParties,
      allowMethods: ["GET"],
      allowHeaders: ["Authorization"],
      exposeHeaders: ["Content-Disposition"],
      maxAge: 600,
    }),
  );

  app.get("/healthz", (c) => c.json({ ok: true }));

  app.get("/export", async (c) => {
    const format = (c.req.query("format") ?? "csv") as Format;
    if (!FORMATS.includes(format)) {
      return json(400, body("INVALID", `Unknown format "${format}": use ${FORMATS.join(" or ")}.`));
    }
    const verdict = await verify(c.req.header("authorization"));
    if (!verdict.ok) {
      const { status, body: refusal, challenge } = verdict.refusal;
      log(`export refused ${status}: ${refusal.error.message}`);
      return json(status, refusal, challenge === undefined ? {} : { "www-authenticate": challenge });
    }
    const { caller } = verdict;

    // The caller's own token, so Convex decides what they may read, as it does for the app.
    const api = createApiClient({
      baseUrl: config.apiUrl,
      getToken: () => caller.token,
      fetch: (request) => fetchImpl(request, { signal: AbortSignal.timeout(API_TIMEOUT_MS) }),
    });
    const stats: ExportStats = { projects: 0, tasks: 0, bytes: 0 };
    const started = performance.now();
    const chunks = exportChunks(
      api,
      format,
      { organization: { id: caller.orgId, slug: caller.orgSlug }, exportedBy: caller.userId },
      stats,
    );
    const who = `${caller.userId} in ${caller.orgId}`;

    let first: IteratorResult<string, void>;
    try {
      first = await chunks.next();
    } catch (error) {
      if (error instanceof ApiError) {
        log(`export refused by the API ${error.status} for ${who}: ${error.message}`);
        return json(error.status, error.body);
      }
      log(`export failed for ${who}: ${String(error)}`);
      return json(
        502,
        body("INTERNAL", `The workspace API at ${config.apiUrl} could not be reached. Try again later.`),
      );
    }

    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          if (first.done) return controller.close();
          const bytes = encoder.encode(first.value);
          stats.bytes += bytes.byteLength;
          controller.enqueue(bytes);
        },
        async pull(controller) {
          try {
            const next = await chunks.next();
            if (next.done) {
              controller.close();
              const seconds = ((performance.now() - started) / 1000).toFixed(2);
              log(
                `export ${format} for ${who}: ${stats.projects} projects, ${stats.tasks} tasks, ${stats.bytes} bytes in ${seconds} s`,
              );
              return;
            }
            const bytes = encoder.encode(next.value);
            stats.bytes += bytes.byteLength;
            controller.enqueue(bytes);
          } catch (error) {
            // The status is sent: cutting the response short is how the client learns it is incomplete.
            log(`export ${format} for ${who} stopped after ${stats.tasks} tasks: ${String(error)}`);
            controller.error(error);
          }
        },
        async cancel() {
          await chunks.return(undefined);
        },
      },
      { highWaterMark: 1 },
    );
    return new Response(stream, {
      status: 200,
      headers: {
        "content-type": CONTENT_TYPES[format],
        "content-disposition": `attachment; filename="${filename(caller.orgSlug, caller.orgId, format)}"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  });

  app.notFound(() =>
    json(404, body("NOT_FOUND", "No such route. Export with GET /export?format=csv or GET /export?format=json.")),
  );
  app.onError((error) => {
    log(`export service error: ${error.stack ?? String(error)}`);
    return json(500, body("INTERNAL", "The export service failed. It has been logged; try again later."));
  });
  return app;
}
