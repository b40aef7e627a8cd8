import { defineApp } from "convex/server";
import rateLimiter from "@convex-dev/rate-limiter/convex.config";
import shardedCounter from "@convex-dev/sharded-counter/convex.config";
import workpool from "@convex-dev/workpool/convex.config";
import migrations from "@convex-dev/migrations/convex.config";
import presence from "@convex-dev/presence/convex.config";

const app = defineApp();
app.use(rateLimiter);
app.use(shardedCounter);
app.use(workpool, { name: "deletions" });
app.use(migrations);
app.use(presence);
export default app;
