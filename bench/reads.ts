/**
 * Documents read by every public query as the data grows: other organizations' data (1,000 →
 * 100,000 tasks across 200 organizations, the caller's organization fixed), and the caller's own
 * history (1,000 → 100,000 tasks and feed entries in the caller's organization). Goal: ratio 1.00.
 */
import { seedBulk, type BulkWorld } from "../tests/convex/bulk";
import { discoverPublicFunctions } from "../tests/convex/discovery";
import { QUERY_ARGS } from "../tests/convex/queries";
import { measureQuery, modules, newBenchBackend, type Metrics } from "./modules";

async function publicQueries(): Promise<string[]> {
  const functions = await discoverPublicFunctions(modules);
  return functions.filter((fn) => fn.kind === "query" && fn.name !== "benchProbe:measure").map((fn) => fn.name);
}

async function measureWorld(totalTasks: number, targetTasks: number, queries: string[]) {
  const t = await newBenchBackend({ transactionLimits: true });
  const started = Date.now();
  const world: BulkWorld = await seedBulk(t, { totalTasks, organizations: 200, targetTasks });
  const seededMs = Date.now() - started;
  const results = new Map<string, Metrics>();
  for (const name of queries) {
    const argsFor = QUERY_ARGS[name];
    if (argsFor === undefined) throw new Error(`bench: no arguments for ${name} in tests/convex/queries.ts`);
    results.set(name, await world.target.as.admin.query(measureQuery, { name, args: argsFor(world) }));
  }
  return { results, seededMs };
}

export async function benchReads(): Promise<void> {
  const queries = await publicQueries();
  const scenarios = [
    { title: "Other organizations grow (caller's organization: 600 tasks)", target: () => 600 },
    { title: "The caller's own organization grows", target: (total: number) => total },
  ];
  for (const scenario of scenarios) {
    const small = await measureWorld(1_000, scenario.target(1_000), queries);
    const large = await measureWorld(100_000, scenario.target(100_000), queries);
    console.log(`\n${scenario.title}: documents read per query (page size 25)`);
    console.log(`(seeded in ${small.seededMs} ms and ${large.seededMs} ms)`);
    const rows = queries.map((name) => {
      const a = small.results.get(name)!;
      const b = large.results.get(name)!;
      return {
        query: name,
        "docs @1k tasks": a.documentsRead,
        "docs @100k tasks": b.documentsRead,
        ratio: (b.documentsRead / a.documentsRead).toFixed(2),
        "KiB @1k": (a.bytesRead / 1024).toFixed(1),
        "KiB @100k": (b.bytesRead / 1024).toFixed(1),
      };
    });
    console.table(rows);
    const worst = Math.max(...rows.map((row) => Number(row.ratio)));
    console.log(`worst ratio: ${worst.toFixed(2)} (goal 1.00)`);
  }
}
