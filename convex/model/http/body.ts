/** Reading request bodies in HTTP actions without holding more than a set number of bytes. */

/**
 * The body as text, or "too large" when it is longer than `maxBytes` (by its declared
 * Content-Length, before reading, or by what actually arrived).
 */
export async function readBodyUpTo(request: Request, maxBytes: number): Promise<string | "too large"> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) return "too large";
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > maxBytes) return "too large";
  return new TextDecoder().decode(bytes);
}
