/**
 * Verifies a Clerk (svix) webhook request against the raw body, before anything is parsed or
 * written. Every refusal names what was wrong; none of them reaches the database.
 */
import { Webhook, WebhookVerificationError } from "svix";
import { readBodyUpTo } from "../http/body";

/** Clerk's payloads are a few KiB; anything past this is refused unread. */
export const MAX_BODY_BYTES = 1024 * 1024;

export type VerifiedDelivery =
  { ok: true; svixId: string; body: unknown } | { ok: false; status: 400 | 413; message: string };

const SVIX_ID = /^[A-Za-z0-9_\-.]{1,200}$/;
// Seconds since the epoch; svix's own parse would accept "123abc" or a millisecond value's prefix.
const SVIX_TIMESTAMP = /^\d{1,10}$/;

export async function verifyClerkRequest(request: Request, secret: string): Promise<VerifiedDelivery> {
  const svixId = request.headers.get("svix-id");
  const timestamp = request.headers.get("svix-timestamp");
  const signature = request.headers.get("svix-signature");
  for (const [name, value] of [
    ["svix-id", svixId],
    ["svix-timestamp", timestamp],
    ["svix-signature", signature],
  ] as const) {
    if (value === null || value.trim() === "") {
      return { ok: false, status: 400, message: `Missing ${name} header: this endpoint only accepts Clerk webhooks.` };
    }
  }
  if (!SVIX_ID.test(svixId!)) return { ok: false, status: 400, message: "Malformed svix-id header." };
  if (!SVIX_TIMESTAMP.test(timestamp!)) {
    return { ok: false, status: 400, message: "Malformed svix-timestamp header: expected whole seconds since 1970." };
  }
  const body = await readBodyUpTo(request, MAX_BODY_BYTES);
  if (body === "too large") {
    return { ok: false, status: 413, message: `Body larger than ${MAX_BODY_BYTES} bytes.` };
  }
  try {
    new Webhook(secret).verify(body, {
      "svix-id": svixId!,
      "svix-timestamp": timestamp!,
      "svix-signature": signature!,
    });
  } catch (error) {
    if (error instanceof WebhookVerificationError) {
      return { ok: false, status: 400, message: `Signature verification failed: ${error.message}.` };
    }
    throw error;
  }
  // svix 2 verifies only; the body is parsed here, after the signature holds.
  try {
    return { ok: true, svixId: svixId!, body: JSON.parse(body) as unknown };
  } catch {
    return { ok: false, status: 400, message: "Body is not JSON." };
  }
}
