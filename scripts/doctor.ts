/**
 * `npm run doctor`: checks the configuration it can see (.env.local, the environment, flags, a
 * sample token, the offline stack) and prints the fix for each problem. See doctor/cli.ts.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import nextEnv from "@next/env";
import { main } from "../doctor/cli";

nextEnv.loadEnvConfig(process.cwd(), true, { info: () => {}, error: console.error });

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  fetch: globalThis.fetch,
  readAuthConfig: () => readFile(path.join(process.cwd(), "convex", "auth.config.ts"), "utf8").catch(() => null),
  nowSeconds: Math.floor(Date.now() / 1000),
  print: (line) => console.log(line),
});
