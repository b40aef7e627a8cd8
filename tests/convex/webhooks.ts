/** Signing and Clerk-shaped events for the webhook tests, as Clerk (through svix) sends them. */
import { Webhook } from "svix";
import type { Backend } from "./setup";

export const TEST_WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** The svix-signature header value for a delivery (the helper the known-answer test checks). */
export function signDelivery(secret: string, id: string, timestampSeconds: number, body: string): string {
  return new Webhook(secret).sign(id, new Date(timestampSeconds * 1000), body);
}

let sequence = 0;
export function nextSvixId(): string {
  sequence += 1;
  return `msg_test${sequence.toString().padStart(6, "0")}`;
}

export type Delivery = { id: string; timestamp: number; body: string; signature: string };

/** A signed delivery of `event` (an object or a raw body string), stamped now unless told. */
export function delivery(event: unknown, options: { id?: string; timestamp?: number; secret?: string } = {}): Delivery {
  const id = options.id ?? nextSvixId();
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const body = typeof event === "string" ? event : JSON.stringify(event);
  return { id, timestamp, body, signature: signDelivery(options.secret ?? TEST_WEBHOOK_SECRET, id, timestamp, body) };
}

/** Posts a delivery to the webhook route, with headers overridable (null removes one). */
export async function post(
  t: Backend,
  d: Delivery,
  headers: Partial<Record<"svix-id" | "svix-timestamp" | "svix-signature", string | null>> = {},
  init: { method?: string } = {},
) {
  const all: Record<string, string | null> = {
    "content-type": "application/json",
    "svix-id": d.id,
    "svix-timestamp": String(d.timestamp),
    "svix-signature": d.signature,
    ...headers,
  };
  const sent = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== null)) as Record<string, string>;
  return await t.fetch("/webhooks/clerk", { method: init.method ?? "POST", headers: sent, body: d.body });
}

type Names = { first?: string | null; last?: string | null };

/** `user.created` / `user.updated` as Clerk sends them (trimmed to realistic fields). */
export function userEvent(
  type: "user.created" | "user.updated",
  id: string,
  updatedAt: number,
  fields: Names & { email?: string | null; imageUrl?: string | null } = {},
) {
  const emailId = `idn_${id}`;
  return {
    type,
    object: "event",
    timestamp: updatedAt,
    instance_id: "ins_test",
    data: {
      id,
      object: "user",
      first_name: fields.first === undefined ? "Ada" : fields.first,
      last_name: fields.last === undefined ? "Lovelace" : fields.last,
      username: null,
      image_url: fields.imageUrl === undefined ? `https://img.example/${id}.png` : fields.imageUrl,
      has_image: fields.imageUrl !== null,
      email_addresses:
        fields.email === null
          ? []
          : [
              {
                id: emailId,
                object: "email_address",
                email_address: fields.email ?? `${id}@example.com`,
                verification: null,
                linked_to: [],
              },
            ],
      primary_email_address_id: fields.email === null ? null : emailId,
      created_at: 1_700_000_000_000,
      updated_at: updatedAt,
    },
  };
}

export function deletedEvent(type: "user.deleted" | "organization.deleted", id: string, at: number) {
  return {
    type,
    object: "event",
    timestamp: at,
    data: { id, object: type === "user.deleted" ? "user" : "organization", deleted: true },
  };
}

export function orgEvent(
  type: "organization.created" | "organization.updated",
  id: string,
  updatedAt: number,
  fields: { name?: string; slug?: string | null; imageUrl?: string | null } = {},
) {
  return {
    type,
    object: "event",
    timestamp: updatedAt,
    data: {
      id,
      object: "organization",
      name: fields.name ?? "Acme",
      slug: fields.slug === undefined ? "acme" : fields.slug,
      image_url: fields.imageUrl === undefined ? `https://img.example/${id}.png` : fields.imageUrl,
      has_image: true,
      members_count: 1,
      created_at: 1_700_000_000_000,
      updated_at: updatedAt,
    },
  };
}

export function membershipEvent(
  type: "organizationMembership.created" | "organizationMembership.updated" | "organizationMembership.deleted",
  ids: { membership: string; org: string; user: string },
  role: string,
  updatedAt: number,
  orgFields: { name?: string; slug?: string } = {},
  userFields: Names & { identifier?: string } = {},
) {
  return {
    type,
    object: "event",
    timestamp: updatedAt,
    data: {
      id: ids.membership,
      object: "organization_membership",
      role,
      permissions: [],
      created_at: 1_700_000_000_000,
      updated_at: updatedAt,
      organization: {
        id: ids.org,
        object: "organization",
        name: orgFields.name ?? "Acme",
        slug: orgFields.slug ?? "acme",
        image_url: `https://img.example/${ids.org}.png`,
        created_at: 1_700_000_000_000,
        updated_at: 1_700_000_000_000,
      },
      public_user_data: {
        user_id: ids.user,
        first_name: userFields.first === undefined ? "Ada" : userFields.first,
        last_name: userFields.last === undefined ? "Lovelace" : userFields.last,
        identifier: userFields.identifier ?? `${ids.user}@example.com`,
        image_url: `https://img.example/${ids.user}.png`,
        has_image: true,
      },
    },
  };
}
