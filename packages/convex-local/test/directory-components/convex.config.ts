import migrations from "@convex-dev/migrations/convex.config";
import rateLimiter from "@convex-dev/rate-limiter/convex.config";
import { defineApp } from "convex/server";
import counter from "./counter/convex.config";

// Components from npm (the rate limiter uses one of its own), and one of this folder's (which uses
// another of this folder's) twice.
const app = defineApp();
app.use(migrations);
app.use(rateLimiter);
app.use(counter);
app.use(counter, { name: "visits" });
export default app;
