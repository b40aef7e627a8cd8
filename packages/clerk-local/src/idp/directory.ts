/**
 * Users, organizations and memberships, kept on disk. Every change bumps `updated_at`, is saved,
 * and queues the webhook events Clerk would send for it, in the same write.
 */
import type { WebhookEventType } from "@clerk/backend";
import { initialsAvatar } from "./avatar";
import {
  deletedJSON,
  envelope,
  membershipJSON,
  NO_REQUEST,
  organizationJSON,
  userJSON,
  type RequestAttributes,
} from "./clerk-json";
import { IdpError } from "./errors";
import { newId } from "./ids";
import {
  checkId,
  clearableString,
  EMAIL,
  fields,
  IMAGE_URL,
  NAME,
  optionalString,
  requiredId,
  requiredString,
  SLUG,
} from "./input";
import { CREATOR_ROLE, type Roles } from "./roles";
import type { MembershipRecord, OrganizationRecord, Store, UserRecord } from "./state";

/** Sign-up: a new user. */
export type CreateUserInput = {
  email_address: string;
  first_name?: string | null;
  last_name?: string | null;
  image_url?: string;
};
/** Fields to change; `null` or `""` clears a name. */
export type UpdateUserInput = Partial<CreateUserInput>;
/** A new organization; `created_by` becomes its admin. The slug is derived from the name when absent. */
export type CreateOrganizationInput = { name: string; created_by: string; slug?: string; image_url?: string };
export type UpdateOrganizationInput = { name?: string; slug?: string; image_url?: string };
/** `role` as `org:admin` or `admin`. */
export type AddMemberInput = { user_id: string; role: string };

/** What a deletion returns, as Clerk's Backend API does. */
export type Deleted = { id: string; object: "user" | "organization" | "organization_membership"; deleted: true };

const USER_FIELDS = ["email_address", "first_name", "last_name", "image_url"] as const;
const ORG_FIELDS = ["name", "slug", "image_url"] as const;

function copy<T>(value: T): T {
  return structuredClone(value);
}

function displayName(user: Pick<UserRecord, "first_name" | "last_name" | "email_address">): string {
  return [user.first_name, user.last_name].filter(Boolean).join(" ") || user.email_address;
}

function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48)
    .replace(/-+$/, "");
  return slug === "" ? "organization" : slug;
}

type QueuedEvent = { type: WebhookEventType; data: unknown; timestamp: number };

/** The directory's operations. Reads return copies; writes validate everything before changing anything. */
export class Directory {
  private readonly store: Store;
  private readonly roles: Roles;
  private readonly onCommit: () => void;

  /** `onCommit` runs after every saved change (the webhook sender's wake-up call). */
  constructor(store: Store, roles: Roles, onCommit: () => void) {
    this.store = store;
    this.roles = roles;
    this.onCommit = onCommit;
  }

  private get state() {
    return this.store.state;
  }

  private commit(events: QueuedEvent[], request: RequestAttributes): void {
    const now = Date.now();
    for (const event of events) {
      const body = envelope(event.type, event.data, event.timestamp, this.state.instance_id, request);
      this.state.outbox.pending.push({
        id: newId("msg"),
        type: event.type,
        body: JSON.stringify(body),
        enqueued_at: now,
        attempts: 0,
        next_attempt_at: now,
        last_error: null,
      });
    }
    this.store.save();
    this.onCommit();
  }

  private userRecord(id: unknown, key = "user_id"): UserRecord {
    const userId = checkId(id, key, "user");
    const user = this.state.users.find((u) => u.id === userId);
    if (!user) throw new IdpError("not_found", `No user ${userId}.`);
    return user;
  }

  private orgRecord(id: unknown, key = "organization_id"): OrganizationRecord {
    const orgId = checkId(id, key, "org");
    const org = this.state.organizations.find((o) => o.id === orgId);
    if (!org) throw new IdpError("not_found", `No organization ${orgId}.`);
    return org;
  }

  private membershipRecord(org: OrganizationRecord, user: UserRecord): MembershipRecord {
    const membership = this.state.memberships.find((m) => m.organization_id === org.id && m.user_id === user.id);
    if (!membership) throw new IdpError("not_found", `${user.id} is not a member of ${org.id}.`);
    return membership;
  }

  private assertEmailFree(email: string, exceptUserId?: string): void {
    if (this.state.users.some((u) => u.email_address === email && u.id !== exceptUserId)) {
      throw new IdpError("conflict", `The email address ${email} is already taken.`);
    }
  }

  private assertSlugFree(slug: string, exceptOrgId?: string): void {
    if (this.state.organizations.some((o) => o.slug === slug && o.id !== exceptOrgId)) {
      throw new IdpError("conflict", `The slug ${slug} is already taken by another organization.`);
    }
  }

  private membershipEvent(type: WebhookEventType, membership: MembershipRecord, timestamp: number): QueuedEvent {
    const org = this.state.organizations.find((o) => o.id === membership.organization_id);
    const user = this.state.users.find((u) => u.id === membership.user_id);
    if (!org || !user) throw new Error(`Membership ${membership.id} points at a missing user or organization`);
    return { type, data: membershipJSON(membership, org, user, this.roles.permissions(membership.role)), timestamp };
  }

  // ── users ─────────────────────────────────────────────────────────────────────────────────────

  /** All users, oldest first; `email_address` narrows to the one with that address. */
  listUsers(filter: { email_address?: string } = {}): UserRecord[] {
    const email = filter.email_address?.trim().toLowerCase();
    return copy(this.state.users.filter((u) => email === undefined || u.email_address === email));
  }

  /** One user; throws `not_found`. */
  getUser(id: string): UserRecord {
    return copy(this.userRecord(id, "id"));
  }

  /** Signs a user up. Sends `user.created`. */
  createUser(input: CreateUserInput, request: RequestAttributes = NO_REQUEST): UserRecord {
    const body = fields(input, "The new user", USER_FIELDS);
    const email = requiredString(body, "email_address", EMAIL).toLowerCase();
    const firstName = clearableString(body, "first_name", NAME) ?? null;
    const lastName = clearableString(body, "last_name", NAME) ?? null;
    const imageUrl = optionalString(body, "image_url", IMAGE_URL);
    this.assertEmailFree(email);
    const now = this.store.tick();
    const id = newId("user");
    const user: UserRecord = {
      id,
      first_name: firstName,
      last_name: lastName,
      email_address: email,
      email_address_id: newId("idn"),
      image_url:
        imageUrl ??
        initialsAvatar(id, displayName({ first_name: firstName, last_name: lastName, email_address: email })),
      created_at: now,
      updated_at: now,
    };
    this.state.users.push(user);
    this.commit([{ type: "user.created", data: userJSON(user), timestamp: now }], request);
    return copy(user);
  }

  /** Changes a user's names, email address or image. Sends `user.updated`. */
  updateUser(id: string, input: UpdateUserInput, request: RequestAttributes = NO_REQUEST): UserRecord {
    const user = this.userRecord(id, "id");
    const body = fields(input, "The user update", USER_FIELDS);
    if (Object.keys(body).length === 0) {
      throw new IdpError("invalid", `The user update must set at least one of ${USER_FIELDS.join(", ")}.`);
    }
    const email = optionalString(body, "email_address", EMAIL)?.toLowerCase();
    const firstName = clearableString(body, "first_name", NAME);
    const lastName = clearableString(body, "last_name", NAME);
    const imageUrl = optionalString(body, "image_url", IMAGE_URL);
    if (email !== undefined) this.assertEmailFree(email, user.id);
    const now = this.store.tick();
    if (email !== undefined) user.email_address = email;
    if (firstName !== undefined) user.first_name = firstName;
    if (lastName !== undefined) user.last_name = lastName;
    if (imageUrl !== undefined) user.image_url = imageUrl;
    else if (user.image_url.startsWith("data:")) user.image_url = initialsAvatar(user.id, displayName(user));
    user.updated_at = now;
    this.commit([{ type: "user.updated", data: userJSON(user), timestamp: now }], request);
    return copy(user);
  }

  /**
   * Deletes a user, their memberships and sessions. Sends only `user.deleted`: receivers remove
   * the memberships themselves, as with Clerk.
   */
  deleteUser(id: string, request: RequestAttributes = NO_REQUEST): Deleted {
    const user = this.userRecord(id, "id");
    const now = this.store.tick();
    this.state.users = this.state.users.filter((u) => u.id !== user.id);
    this.state.memberships = this.state.memberships.filter((m) => m.user_id !== user.id);
    for (const session of this.state.sessions) {
      if (session.user_id === user.id && session.status === "active") {
        session.status = "revoked";
        session.updated_at = now;
      }
    }
    this.commit([{ type: "user.deleted", data: deletedJSON("user", user.id), timestamp: now }], request);
    return { id: user.id, object: "user", deleted: true };
  }

  // ── organizations ─────────────────────────────────────────────────────────────────────────────

  /** All organizations, oldest first. */
  listOrganizations(): OrganizationRecord[] {
    return copy(this.state.organizations);
  }

  /** One organization; throws `not_found`. */
  getOrganization(id: string): OrganizationRecord {
    return copy(this.orgRecord(id, "id"));
  }

  /**
   * Creates an organization with its creator as admin. Sends `organization.created`, then
   * `organizationMembership.created`.
   */
  createOrganization(input: CreateOrganizationInput, request: RequestAttributes = NO_REQUEST): OrganizationRecord {
    const body = fields(input, "The new organization", ["name", "slug", "image_url", "created_by"]);
    const name = requiredString(body, "name", NAME);
    const creator = this.userRecord(requiredId(body, "created_by", "user"), "created_by");
    let slug = optionalString(body, "slug", SLUG);
    const imageUrl = optionalString(body, "image_url", IMAGE_URL);
    if (slug !== undefined) {
      this.assertSlugFree(slug);
    } else {
      const base = slugify(name);
      slug = base;
      for (let n = 2; this.state.organizations.some((o) => o.slug === slug); n++) slug = `${base}-${n}`;
    }
    const now = this.store.tick();
    const id = newId("org");
    const org: OrganizationRecord = {
      id,
      name,
      slug,
      image_url: imageUrl ?? initialsAvatar(id, name),
      created_by: creator.id,
      created_at: now,
      updated_at: now,
    };
    const membership: MembershipRecord = {
      id: newId("orgmem"),
      organization_id: org.id,
      user_id: creator.id,
      role: CREATOR_ROLE,
      created_at: now,
      updated_at: now,
    };
    this.state.organizations.push(org);
    this.state.memberships.push(membership);
    this.commit(
      [
        { type: "organization.created", data: organizationJSON(org), timestamp: now },
        this.membershipEvent("organizationMembership.created", membership, now),
      ],
      request,
    );
    return copy(org);
  }

  /** Renames an organization or changes its slug or image. Sends `organization.updated`. */
  updateOrganization(
    id: string,
    input: UpdateOrganizationInput,
    request: RequestAttributes = NO_REQUEST,
  ): OrganizationRecord {
    const org = this.orgRecord(id, "id");
    const body = fields(input, "The organization update", ORG_FIELDS);
    if (Object.keys(body).length === 0) {
      throw new IdpError("invalid", `The organization update must set at least one of ${ORG_FIELDS.join(", ")}.`);
    }
    const name = optionalString(body, "name", NAME);
    const slug = optionalString(body, "slug", SLUG);
    const imageUrl = optionalString(body, "image_url", IMAGE_URL);
    if (slug !== undefined) this.assertSlugFree(slug, org.id);
    const now = this.store.tick();
    if (name !== undefined) org.name = name;
    if (slug !== undefined) org.slug = slug;
    if (imageUrl !== undefined) org.image_url = imageUrl;
    else if (name !== undefined && org.image_url.startsWith("data:")) org.image_url = initialsAvatar(org.id, name);
    org.updated_at = now;
    this.commit([{ type: "organization.updated", data: organizationJSON(org), timestamp: now }], request);
    return copy(org);
  }

  /** Deletes an organization and its memberships. Sends only `organization.deleted`, as Clerk does. */
  deleteOrganization(id: string, request: RequestAttributes = NO_REQUEST): Deleted {
    const org = this.orgRecord(id, "id");
    const now = this.store.tick();
    this.state.organizations = this.state.organizations.filter((o) => o.id !== org.id);
    this.state.memberships = this.state.memberships.filter((m) => m.organization_id !== org.id);
    this.leaveOrganization(org.id, null, now);
    this.commit([{ type: "organization.deleted", data: deletedJSON("organization", org.id), timestamp: now }], request);
    return { id: org.id, object: "organization", deleted: true };
  }

  // ── memberships ───────────────────────────────────────────────────────────────────────────────

  /** Memberships, oldest first, optionally of one organization and/or one user. */
  listMemberships(filter: { organization_id?: string; user_id?: string } = {}): MembershipRecord[] {
    return copy(
      this.state.memberships.filter(
        (m) =>
          (filter.organization_id === undefined || m.organization_id === filter.organization_id) &&
          (filter.user_id === undefined || m.user_id === filter.user_id),
      ),
    );
  }

  /** Adds a user to an organization. Sends `organizationMembership.created`. */
  addMember(organizationId: string, input: AddMemberInput, request: RequestAttributes = NO_REQUEST): MembershipRecord {
    const org = this.orgRecord(organizationId);
    const body = fields(input, "The new membership", ["user_id", "role"]);
    const user = this.userRecord(requiredId(body, "user_id", "user"));
    const role = this.roles.parse(body.role);
    if (this.state.memberships.some((m) => m.organization_id === org.id && m.user_id === user.id)) {
      throw new IdpError("conflict", `${user.id} is already a member of ${org.id}; change the role instead.`);
    }
    const now = this.store.tick();
    const membership: MembershipRecord = {
      id: newId("orgmem"),
      organization_id: org.id,
      user_id: user.id,
      role,
      created_at: now,
      updated_at: now,
    };
    this.state.memberships.push(membership);
    this.commit([this.membershipEvent("organizationMembership.created", membership, now)], request);
    return copy(membership);
  }

  /** Changes a member's role. Sends `organizationMembership.updated` (nothing when the role is unchanged). */
  changeRole(
    organizationId: string,
    userId: string,
    role: string,
    request: RequestAttributes = NO_REQUEST,
  ): MembershipRecord {
    const membership = this.membershipRecord(this.orgRecord(organizationId), this.userRecord(userId));
    const next = this.roles.parse(role);
    if (next === membership.role) return copy(membership);
    const now = this.store.tick();
    membership.role = next;
    membership.updated_at = now;
    this.commit([this.membershipEvent("organizationMembership.updated", membership, now)], request);
    return copy(membership);
  }

  /** Removes a member. Sends `organizationMembership.deleted` with the membership as it was. */
  removeMember(organizationId: string, userId: string, request: RequestAttributes = NO_REQUEST): Deleted {
    const org = this.orgRecord(organizationId);
    const user = this.userRecord(userId);
    const membership = this.membershipRecord(org, user);
    const now = this.store.tick();
    const event = this.membershipEvent("organizationMembership.deleted", membership, now);
    this.state.memberships = this.state.memberships.filter((m) => m.id !== membership.id);
    this.leaveOrganization(org.id, user.id, now);
    this.commit([event], request);
    return { id: membership.id, object: "organization_membership", deleted: true };
  }

  /** Sessions whose active organization the user (or everyone, for `null`) just lost get none. */
  private leaveOrganization(organizationId: string, userId: string | null, now: number): void {
    for (const session of this.state.sessions) {
      if (session.last_active_organization_id === organizationId && (userId === null || session.user_id === userId)) {
        session.last_active_organization_id = null;
        session.updated_at = now;
      }
    }
  }

  /**
   * Queues `user.created`, `organization.created` and `organizationMembership.created` for the
   * whole directory as it is now: for a backend whose data was wiped while this directory was kept.
   */
  resync(request: RequestAttributes = NO_REQUEST): number {
    const events: QueuedEvent[] = [
      ...this.state.users.map((u): QueuedEvent => ({
        type: "user.created",
        data: userJSON(u),
        timestamp: u.updated_at,
      })),
      ...this.state.organizations.map((o): QueuedEvent => ({
        type: "organization.created",
        data: organizationJSON(o),
        timestamp: o.updated_at,
      })),
      ...this.state.memberships.map((m) => this.membershipEvent("organizationMembership.created", m, m.updated_at)),
    ];
    this.commit(events, request);
    return events.length;
  }
}
