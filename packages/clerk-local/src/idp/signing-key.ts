/** The RS256 key tokens are signed with: generated once, kept on disk, published as a JWKS. */
import path from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import { readIfExists, writeAtomic } from "./files";

/** The private key and the public JWK served at `/.well-known/jwks.json`. */
export type SigningKey = { kid: string; privateKey: CryptoKey; publicJwk: JWK };

const FILE = "signing-key.json";

async function fromPrivateJwk(jwk: JWK): Promise<SigningKey> {
  const { kid, n, e, kty } = jwk;
  if (kty !== "RSA" || !kid || !n || !e) throw new Error("not an RSA private JWK with a kid");
  const privateKey = await importJWK(jwk, "RS256");
  if (privateKey instanceof Uint8Array) throw new Error("not an asymmetric key");
  return { kid, privateKey, publicJwk: { kty, n, e, kid, alg: "RS256", use: "sig" } };
}

/** Loads the key from `dataDir`, or generates and saves one (kid = its RFC 7638 thumbprint). */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const file = path.join(dataDir, FILE);
  const text = readIfExists(file);
  if (text !== null) {
    try {
      return await fromPrivateJwk(JSON.parse(text) as JWK);
    } catch (error) {
      throw new Error(`${file} does not hold a usable signing key (${(error as Error).message}). Start with --reset.`);
    }
  }
  const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = "RS256";
  jwk.use = "sig";
  writeAtomic(file, JSON.stringify(jwk, null, 2) + "\n");
  return fromPrivateJwk(jwk);
}
