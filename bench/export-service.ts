/**
 * The export service in a process of its own for `bench/export.ts`, so the memory it reports is the
 * service's alone. Configured from the environment; samples its memory every few milliseconds and
 * answers the parent's messages: `reset` (collect garbage, start a new peak) and `report`.
 */
import { readConfig, startExportService } from "../services/export/src";

type Sample = { rss: number; heapUsed: number };

const current = (): Sample => {
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
};

let baseline = current();
let peak = baseline;
const sampler = setInterval(() => {
  const now = current();
  peak = { rss: Math.max(peak.rss, now.rss), heapUsed: Math.max(peak.heapUsed, now.heapUsed) };
}, 5);

// The service's one line per export ("… N projects, M tasks, B bytes in S s"), passed on with the report.
let lastLog = "";
const service = await startExportService(readConfig(), { log: (line) => (lastLog = line) });
process.send!({ kind: "ready", url: service.url });

process.on("message", (message: { kind: "reset" | "report" | "stop" }) => {
  if (message.kind === "reset") {
    (globalThis as { gc?: () => void }).gc?.();
    baseline = current();
    peak = baseline;
    process.send!({ kind: "reset", baseline });
  } else if (message.kind === "report") {
    process.send!({ kind: "report", baseline, peak, log: lastLog });
  } else {
    clearInterval(sampler);
    void service.close().then(() => process.exit(0));
  }
});
