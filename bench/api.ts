/**
 * The HTTP API on the offline stack, measured from outside over real HTTP: requests per second and
 * latency of `GET /api/v1/projects` (an HTTP action calling `projects.list` with the caller's
 * identity) from 1 and 10 concurrent callers, each with its own session token from the local
 * identity provider. For reference, the same query through Convex's own HTTP API
 * (`POST /api/query`, what `ConvexHttpClient` sends) from 10 callers.
 *
 * The offline server runs one function at a time on convex-test's engine: these are figures of the
 * development stack and of the API's own overhead, not of a Convex deployment.
 */
import { performance } from "node:perf_hooks";
import { organizationId, percentile, signIn, startStack, type BenchIdp } from "./stack";

const WARMUP = 100;
const REQUESTS = 2000;
/** Tokens live 60 s; callers fetch a new one well before. */
const TOKEN_MAX_AGE_MS = 30_000;
const MEMBERS = [
  "alice.johnson@example.com",
  "ben.carter@example.com",
  "chloe.nguyen@example.com",
  "diego.ramirez@example.com",
];

type Caller = { token: () => Promise<string> };

/** A caller whose token is minted again when it gets old. */
async function caller(idp: BenchIdp, email: string, orgId: string): Promise<Caller> {
  const mint = await signIn(idp, email, orgId);
  let token = await mint();
  let mintedAt = performance.now();
  return {
    token: async () => {
      if (performance.now() - mintedAt > TOKEN_MAX_AGE_MS) {
        token = await mint();
        mintedAt = performance.now();
      }
      return token;
    },
  };
}

/** Sends WARMUP + REQUESTS requests from `callers` at once; times the REQUESTS after the warm-up. */
async function measure(callers: Caller[], send: (token: string) => Promise<Response>) {
  let issued = 0;
  let failures = 0;
  const samples: number[] = [];
  let started = 0;
  await Promise.all(
    callers.map(async (c) => {
      while (issued < WARMUP + REQUESTS) {
        const n = issued++;
        if (n === WARMUP) started = performance.now();
        const token = await c.token();
        const begin = performance.now();
        const response = await send(token);
        await response.arrayBuffer();
        if (response.status !== 200) failures += 1;
        if (n >= WARMUP) samples.push(performance.now() - begin);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  samples.sort((a, b) => a - b);
  return { samples, seconds, failures };
}

export async function benchApi(): Promise<void> {
  const stack = await startStack("bench-api-");
  try {
    // Limits far above the load: every request still spends its token's and organization's
    // allowance (the rate limiter's cost is in the figures), but none of the 2,000 is answered 429.
    await stack.setEnv({ RATE_LIMIT_API_PER_TOKEN: "1000000/minute", RATE_LIMIT_API_PER_ORG: "1000000/minute" });
    const acme = await organizationId(stack.idp, "acme");
    const callers: Caller[] = [];
    for (let i = 0; i < 10; i += 1) callers.push(await caller(stack.idp, MEMBERS[i % MEMBERS.length]!, acme));

    const viaApi = (token: string) =>
      fetch(`${stack.siteUrl}/api/v1/projects?limit=25`, { headers: { authorization: `Bearer ${token}` } });
    const viaConvex = (token: string) =>
      fetch(`${stack.convexUrl}/api/query`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({
          path: "projects:list",
          args: [{ paginationOpts: { numItems: 25, cursor: null } }],
          format: "json",
        }),
      });

    console.log(
      `${REQUESTS} requests per row after ${WARMUP} warm-up; the Acme demo organization (2 projects), limit 25; ` +
        "every caller a different session (admin, member, viewer, billing in turn)",
    );
    console.log("request                                   callers  req/s   p50 ms  p95 ms  max ms  failures");
    const rows: [string, Caller[], (token: string) => Promise<Response>][] = [
      ["GET /api/v1/projects (HTTP action)", callers.slice(0, 1), viaApi],
      ["GET /api/v1/projects (HTTP action)", callers, viaApi],
      ["POST /api/query projects:list (reference)", callers, viaConvex],
    ];
    for (const [name, group, send] of rows) {
      const { samples, seconds, failures } = await measure(group, send);
      console.log(
        [
          name.padEnd(41),
          String(group.length).padStart(8),
          (samples.length / seconds).toFixed(0).padStart(6),
          percentile(samples, 50).toFixed(1).padStart(8),
          percentile(samples, 95).toFixed(1).padStart(7),
          samples[samples.length - 1]!.toFixed(1).padStart(7),
          String(failures).padStart(9),
        ].join(" "),
      );
    }
  } finally {
    await stack.stop();
  }
}
