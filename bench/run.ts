/** `npm run bench`: prints the project's performance figures. */
import { benchReads } from "./reads";

console.log("# Convex reads as data grows (convex-test's transaction metrics; counts, not timings)");
await benchReads();
