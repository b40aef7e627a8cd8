/**
 * Helpers for the app's offline-stack suites (offline/stack.test.ts, offline/api.test.ts): the whole
 * stack on free ports, forged tokens, and real clients from the `convex` package over `ws`. The local
 * Convex server itself, and its own tests, live in packages/convex-local.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { importJWK, SignJWT, type JWK, type JWTPayload } from "jose";
import { startOfflineStack, type OfflineStack } from "./stack";

export { simpleClient, watch } from "@tenant-workspace/convex-local/testing";

/** A fresh directory under the OS temp dir. */
function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The whole offline stack on free ports with a temporary data directory; `close()` removes it. The
 * Convex CLI pushes the functions, as to a deployment: only a push installs the components of
 * convex.config.ts (the work pool the deletions run on), which code loaded from the directory lacks.
 */
export async function startTestStack(prefix: string): Promise<OfflineStack & { dataDir: string }> {
  const data = tempDir(prefix);
  const stack = await startOfflineStack({
    dataDir: data.dir,
    convexPort: 0,
    sitePort: 0,
    idpPort: 0,
    quiet: true,
    webhookRetry: { delaysMs: [50] },
    code: "push",
  });
  return {
    ...stack,
    dataDir: data.dir,
    close: async () => {
      await stack.close();
      data.remove();
    },
  };
}

/**
 * Signs `claims` with the key the identity provider in `idpDataDir` signs with (to forge variations).
 * Reads the provider's key file (a private JWK, `signing-key.json`) rather than its code, so the test
 * does not reach into the provider's modules.
 */
export async function signWithProviderKey(idpDataDir: string, claims: JWTPayload): Promise<string> {
  const jwk = JSON.parse(readFileSync(path.join(idpDataDir, "signing-key.json"), "utf8")) as JWK;
  const privateKey = await importJWK(jwk, "RS256");
  return await new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: jwk.kid, typ: "JWT" }).sign(privateKey);
}
