/**
 * Clerk webhook payloads → the few facts this app stores. Only the fields read here are validated;
 * sparse but legitimate payloads (no email, null names, no image) are accepted.
 */
import { v, type Infer } from "convex/values";
import { normalizeRole } from "../auth/permissions";

const orgFacts = v.object({
  clerkId: v.string(),
  name: v.string(),
  slug: v.optional(v.string()),
  imageUrl: v.optional(v.string()),
});
const userFacts = v.object({
  clerkId: v.string(),
  name: v.optional(v.string()),
  email: v.optional(v.string()),
  imageUrl: v.optional(v.string()),
});

/** A verified delivery reduced to what the sync applies. Times are Clerk's, in ms. */
export const clerkEventValidator = v.union(
  v.object({ kind: v.literal("user.upsert"), user: userFacts, updatedAt: v.number() }),
  v.object({ kind: v.literal("user.delete"), clerkId: v.string(), at: v.number() }),
  v.object({ kind: v.literal("organization.upsert"), org: orgFacts, updatedAt: v.number() }),
  v.object({ kind: v.literal("organization.delete"), clerkId: v.string(), at: v.number() }),
  v.object({
    kind: v.literal("membership.upsert"),
    clerkId: v.string(),
    role: v.string(),
    org: orgFacts,
    user: userFacts,
    updatedAt: v.number(),
  }),
  v.object({
    kind: v.literal("membership.delete"),
    clerkId: v.string(),
    role: v.string(),
    org: orgFacts,
    user: userFacts,
    at: v.number(),
  }),
  v.object({ kind: v.literal("ignored"), clerkId: v.string() }),
);
export type ClerkEvent = Infer<typeof clerkEventValidator>;
export type OrgFacts = Infer<typeof orgFacts>;
export type UserFacts = Infer<typeof userFacts>;

export type ParsedDelivery = { ok: true; type: string; event: ClerkEvent } | { ok: false; message: string };

class PayloadError extends Error {}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function object(value: unknown, path: string): Json {
  if (!isObject(value)) throw new PayloadError(`${path} must be an object`);
  return value;
}

function requiredString(obj: Json, key: string, path: string): string {
  const value = obj[key];
  if (typeof value !== "string" || value.length === 0)
    throw new PayloadError(`${path}.${key} must be a non-empty string`);
  return value;
}

/** A string that may be absent, null or empty (all read as "not given"). */
function optionalString(obj: Json, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new PayloadError(`${path}.${key} must be a string or null`);
  return value;
}

function optionalTime(obj: Json, key: string, path: string): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new PayloadError(`${path}.${key} must be a timestamp in milliseconds`);
  }
  return value;
}

function fullName(first: string | undefined, last: string | undefined): string | undefined {
  const name = [first, last]
    .filter((part) => part !== undefined && part.trim() !== "")
    .join(" ")
    .trim();
  return name === "" ? undefined : name;
}

function compact<T extends Json>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function userFromUserData(data: Json): UserFacts {
  let email: string | undefined;
  const addresses = data.email_addresses;
  if (addresses !== undefined && addresses !== null) {
    if (!Array.isArray(addresses)) throw new PayloadError("data.email_addresses must be a list");
    const entries = addresses.map((entry, i) => object(entry, `data.email_addresses[${i}]`));
    const primaryId = optionalString(data, "primary_email_address_id", "data");
    const primary = entries.find((entry) => entry.id === primaryId) ?? entries[0];
    if (primary !== undefined) email = optionalString(primary, "email_address", "data.email_addresses[]");
  }
  return compact({
    clerkId: requiredString(data, "id", "data"),
    name:
      fullName(optionalString(data, "first_name", "data"), optionalString(data, "last_name", "data")) ??
      optionalString(data, "username", "data"),
    email,
    imageUrl: optionalString(data, "image_url", "data"),
  });
}

function orgFromOrgData(data: Json, path: string): OrgFacts {
  return compact({
    clerkId: requiredString(data, "id", path),
    name: requiredString(data, "name", path),
    slug: optionalString(data, "slug", path),
    imageUrl: optionalString(data, "image_url", path),
  });
}

function userFromPublicData(data: Json): UserFacts {
  const path = "data.public_user_data";
  const identifier = optionalString(data, "identifier", path);
  return compact({
    clerkId: requiredString(data, "user_id", path),
    name: fullName(optionalString(data, "first_name", path), optionalString(data, "last_name", path)),
    // Clerk's identifier is the email (or phone / username) the member signs in with.
    email: identifier?.includes("@") ? identifier : undefined,
    imageUrl: optionalString(data, "image_url", path),
  });
}

/** The time an upsert describes: the record's `updated_at`, else the event's own timestamp. */
function upsertTime(data: Json, envelopeTime: number | undefined): number {
  const time = optionalTime(data, "updated_at", "data") ?? envelopeTime;
  if (time === undefined) throw new PayloadError("data.updated_at (or the event timestamp) is required");
  return time;
}

/**
 * Reduces a verified Clerk event body to a ClerkEvent, or says which field is wrong.
 * `receivedAt` dates deletions whose event carries no timestamp.
 */
export function parseClerkDelivery(body: unknown, receivedAt: number): ParsedDelivery {
  try {
    const envelope = object(body, "body");
    const type = envelope.type;
    if (typeof type !== "string" || type.length === 0) throw new PayloadError("body.type must be a non-empty string");
    const data = object(envelope.data, "data");
    const clerkId = requiredString(data, "id", "data");
    const envelopeTime = optionalTime(envelope, "timestamp", "body");
    const deletedAt = envelopeTime ?? receivedAt;
    switch (type) {
      case "user.created":
      case "user.updated":
        return {
          ok: true,
          type,
          event: { kind: "user.upsert", user: userFromUserData(data), updatedAt: upsertTime(data, envelopeTime) },
        };
      case "user.deleted":
        return { ok: true, type, event: { kind: "user.delete", clerkId, at: deletedAt } };
      case "organization.created":
      case "organization.updated":
        return {
          ok: true,
          type,
          event: {
            kind: "organization.upsert",
            org: orgFromOrgData(data, "data"),
            updatedAt: upsertTime(data, envelopeTime),
          },
        };
      case "organization.deleted":
        return { ok: true, type, event: { kind: "organization.delete", clerkId, at: deletedAt } };
      case "organizationMembership.created":
      case "organizationMembership.updated":
      case "organizationMembership.deleted": {
        const org = orgFromOrgData(object(data.organization, "data.organization"), "data.organization");
        const user = userFromPublicData(object(data.public_user_data, "data.public_user_data"));
        const role = normalizeRole(requiredString(data, "role", "data"));
        if (type === "organizationMembership.deleted") {
          return { ok: true, type, event: { kind: "membership.delete", clerkId, role, org, user, at: deletedAt } };
        }
        return {
          ok: true,
          type,
          event: { kind: "membership.upsert", clerkId, role, org, user, updatedAt: upsertTime(data, envelopeTime) },
        };
      }
      default:
        return { ok: true, type, event: { kind: "ignored", clerkId } };
    }
  } catch (error) {
    if (error instanceof PayloadError) return { ok: false, message: `Invalid Clerk event: ${error.message}.` };
    throw error;
  }
}
