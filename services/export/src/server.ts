/** The export service on a Node.js HTTP server (@hono/node-server). */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { createExportApp, type ExportAppOptions } from "./app";
import type { ExportServiceConfig } from "./config";

export type ExportService = {
  /** e.g. `http://127.0.0.1:3213` */
  url: string;
  port: number;
  close(): Promise<void>;
};

export async function startExportService(
  config: ExportServiceConfig,
  options: ExportAppOptions = {},
): Promise<ExportService> {
  const app = createExportApp(config, options);
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`Port ${config.port} on ${config.host} is in use: stop what holds it, or set EXPORT_PORT.`)
          : error,
      ),
    );
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
