import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// Deliveries are remembered for 30 days (longer than Clerk's retries and replays), then forgotten in
// batches on the work pool.
crons.daily("prune webhook events", { hourUTC: 4, minuteUTC: 17 }, internal.clerkWebhook.prune, {});

export default crons;
