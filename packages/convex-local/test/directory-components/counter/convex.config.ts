import { defineComponent } from "convex/server";
import tally from "../tally/convex.config";

const counter = defineComponent("counter");
counter.use(tally);
export default counter;
