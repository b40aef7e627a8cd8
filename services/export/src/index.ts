/**
 * @tenant-workspace/export-service: a streamed CSV/JSON export of an organization's projects and
 * tasks, for the caller's verified Clerk token, read through the workspace API as that caller.
 * See README.md.
 */
export { createExportApp, type ExportAppOptions } from "./app";
export {
  AUDIENCE,
  createTokenVerifier,
  EXPORT_PERMISSION,
  pemOfJwk,
  type Caller,
  type Refusal,
  type Verdict,
} from "./auth";
export {
  ConfigError,
  DEFAULT_HOST,
  DEFAULT_PORT,
  OFFLINE_DEFAULTS,
  readConfig,
  VARIABLES,
  type ExportServiceConfig,
  type KeySource,
} from "./config";
export { csvField, FORMATS, PAGE_SIZE, type Format } from "./export";
export { startExportService, type ExportService } from "./server";
