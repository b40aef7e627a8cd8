/**
 * The export service in the foreground (`npm start --workspace services/export`, and `npm run dev`),
 * configured from the environment: offline defaults when no Clerk variable is set (see README.md).
 */
import { ConfigError, readConfig } from "./config";
import { startExportService } from "./server";

try {
  const config = readConfig();
  const service = await startExportService(config);
  const keys = config.key.kind === "pem" ? "the PEM key in CLERK_JWT_KEY" : config.key.url;
  console.log(
    `export service (${config.mode}) on ${service.url}: GET /export?format=csv|json\n` +
      `  tokens: issuer ${config.issuer}, keys ${keys}, audience convex, azp ${config.authorizedParties.join(", ")}\n` +
      `  reads:  ${config.apiUrl} as the caller`,
  );
  const stop = () => {
    void service.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
