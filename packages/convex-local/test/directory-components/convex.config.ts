import migrations from "@convex-dev/migrations/convex.config";
import { defineApp } from "convex/server";
import counter from "./counter/convex.config";

// A component from npm, and one of this folder's (which uses one of its own) twice.
const app = defineApp();
app.use(migrations);
app.use(counter);
app.use(counter, { name: "visits" });
export default app;
