import migrations from "@convex-dev/migrations/convex.config";
import presence from "@convex-dev/presence/convex.config";
import rateLimiter from "@convex-dev/rate-limiter/convex.config";
import shardedCounter from "@convex-dev/sharded-counter/convex.config";
import workpool from "@convex-dev/workpool/convex.config";
import { defineApp } from "convex/server";

/**
 * Convex's own components this app builds on (docs.convex.dev/components): each keeps its tables
 * apart from the app's and is reached only through the app's functions, which scope every call by
 * the caller's organization first.
 */
const app = defineApp();
app.use(rateLimiter);
app.use(shardedCounter);
app.use(workpool);
app.use(migrations);
app.use(presence);
export default app;
