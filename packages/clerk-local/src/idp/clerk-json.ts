/**
 * Directory records → the JSON Clerk puts in webhook events. The types are Clerk's own
 * (`@clerk/backend`), so a field Clerk sends and we forget, or one we
 * misspell, fails the type-check. Field values follow Clerk's documented example payloads.
 */
import type {
  DeletedObjectJSON,
  OrganizationJSON,
  OrganizationMembershipJSON,
  UserJSON,
  WebhookEventType,
} from "@clerk/backend";
import type { MembershipRecord, OrganizationRecord, UserRecord } from "./state";

type EmailAddressJSON = UserJSON["email_addresses"][number];
type VerificationJSON = NonNullable<EmailAddressJSON["verification"]>;

/** Clerk's payloads carry the verification without the `id`/`object` its SDK type declares. */
type SentVerification = Omit<VerificationJSON, "id" | "object">;
type SentEmailAddress = Omit<EmailAddressJSON, "verification"> & { verification: SentVerification };
/** `user.created` / `user.updated` data as sent. */
export type SentUserJSON = Omit<UserJSON, "email_addresses"> & { email_addresses: SentEmailAddress[] };

/** The envelope of every Clerk webhook (`Webhook<EvtType, Data>` in `@clerk/backend`). */
export type ClerkEventEnvelope<Data> = {
  data: Data;
  object: "event";
  type: WebhookEventType;
  /** When the event happened, in ms. */
  timestamp: number;
  instance_id: string;
  event_attributes: { http_request: { client_ip: string; user_agent: string } };
};

/** Who caused a change, as Clerk reports it in `event_attributes`; empty for changes made in code. */
export type RequestAttributes = { client_ip: string; user_agent: string };

export const NO_REQUEST: RequestAttributes = { client_ip: "", user_agent: "" };

/** The user as `user.created` / `user.updated` carry it. */
export function userJSON(user: UserRecord): SentUserJSON {
  return {
    object: "user",
    id: user.id,
    username: null,
    first_name: user.first_name,
    last_name: user.last_name,
    image_url: user.image_url,
    // The generated avatar is Clerk's default image, which it reports as "no image".
    has_image: !user.image_url.startsWith("data:"),
    primary_email_address_id: user.email_address_id,
    primary_phone_number_id: null,
    primary_web3_wallet_id: null,
    password_enabled: false,
    two_factor_enabled: false,
    totp_enabled: false,
    backup_code_enabled: false,
    email_addresses: [
      {
        object: "email_address",
        id: user.email_address_id,
        email_address: user.email_address,
        verification: { status: "verified", strategy: "admin", attempts: null, expire_at: null },
        linked_to: [],
      },
    ],
    phone_numbers: [],
    web3_wallets: [],
    organization_memberships: null,
    external_accounts: [],
    enterprise_accounts: [],
    password_last_updated_at: null,
    public_metadata: {},
    private_metadata: {},
    unsafe_metadata: {},
    external_id: null,
    last_sign_in_at: null,
    banned: false,
    locked: false,
    deprovisioned: false,
    lockout_expires_in_seconds: null,
    verification_attempts_remaining: null,
    created_at: user.created_at,
    updated_at: user.updated_at,
    last_active_at: null,
    create_organization_enabled: true,
    create_organizations_limit: null,
    delete_self_enabled: true,
    legal_accepted_at: null,
    locale: null,
    timezone: null,
  };
}

/** The organization as `organization.*` and memberships carry it. */
export function organizationJSON(org: OrganizationRecord): OrganizationJSON {
  return {
    object: "organization",
    id: org.id,
    name: org.name,
    slug: org.slug,
    image_url: org.image_url,
    has_image: !org.image_url.startsWith("data:"),
    max_allowed_memberships: 0,
    admin_delete_enabled: true,
    public_metadata: {},
    private_metadata: {},
    ...(org.created_by === null ? {} : { created_by: org.created_by }),
    created_at: org.created_at,
    updated_at: org.updated_at,
  };
}

/** The membership as `organizationMembership.*` carry it, deletions included, with its role's `permissions`. */
export function membershipJSON(
  membership: MembershipRecord,
  org: OrganizationRecord,
  user: UserRecord,
  permissions: string[],
): OrganizationMembershipJSON {
  return {
    object: "organization_membership",
    id: membership.id,
    role: membership.role,
    permissions,
    public_metadata: {},
    private_metadata: {},
    created_at: membership.created_at,
    updated_at: membership.updated_at,
    organization: organizationJSON(org),
    public_user_data: {
      user_id: user.id,
      identifier: user.email_address,
      first_name: user.first_name,
      last_name: user.last_name,
      image_url: user.image_url,
      has_image: !user.image_url.startsWith("data:"),
    },
  };
}

/** `data` of `user.deleted` and `organization.deleted`. */
export function deletedJSON(object: "user" | "organization", id: string): DeletedObjectJSON {
  return { object, id, deleted: true };
}

/** Wraps `data` in the event envelope Clerk sends. */
export function envelope<Data>(
  type: WebhookEventType,
  data: Data,
  timestamp: number,
  instanceId: string,
  request: RequestAttributes,
): ClerkEventEnvelope<Data> {
  return {
    data,
    object: "event",
    type,
    timestamp,
    instance_id: instanceId,
    event_attributes: { http_request: { client_ip: request.client_ip, user_agent: request.user_agent } },
  };
}
