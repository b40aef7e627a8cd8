/** `npm run bench`: prints the project's performance figures. */
import { benchApi } from "./api";
import { benchBrowser } from "./browser";
import { benchContention } from "./contention";
import { benchExport } from "./export";
import { benchLive } from "./live";
import { benchPush } from "./push";
import { benchReads } from "./reads";
import { benchWebhooks } from "./webhooks";

const only = process.argv[2];

if (only === undefined || only === "reads") {
  console.log("# Convex reads as data grows (convex-test's transaction metrics; counts, not timings)");
  await benchReads();
}
if (only === undefined || only === "contention") {
  console.log("\n# Write contention: concurrent task creates in one organization (reasoned, not observed)");
  await benchContention();
}
if (only === undefined || only === "webhooks") {
  console.log("\n# Clerk webhook sync as the user table grows");
  await benchWebhooks();
}
if (only === undefined || only === "live") {
  console.log("\n# Live updates on the offline stack");
  await benchLive();
}
if (only === undefined || only === "api") {
  console.log("\n# The HTTP API on the offline stack");
  await benchApi();
}
if (only === undefined || only === "export") {
  console.log("\n# The export service: a 10,000-task organization, streamed");
  await benchExport();
}
if (only === undefined || only === "browser") {
  console.log("\n# The app in Chromium (production build on the offline stack)");
  await benchBrowser();
}
if (only === undefined || only === "push") {
  console.log("\n# Pushing code with the Convex CLI to the local backend");
  await benchPush();
}
