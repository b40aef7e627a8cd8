/**
 * Sign-in sessions and the tokens minted for them, in the shape of Clerk's session token v2:
 * https://clerk.com/docs/guides/sessions/session-tokens (claims `v`, `sid`, `o.{id,rol,slg,per,fpm}`, `fea`).
 */
import { SignJWT } from "jose";
import { IdpError } from "./errors";
import { newId } from "./ids";
import { checkId, EMAIL, fields, nullableId, optionalString } from "./input";
import type { Roles } from "./roles";
import type { MembershipRecord, OrganizationRecord, SessionRecord, Store, UserRecord } from "./state";
import type { SigningKey } from "./signing-key";
import type { TokenSettings } from "./token-settings";

/** Clerk's default session token lifetime. */
export const TOKEN_LIFETIME_SECONDS = 60;
/** `nbf` is backdated so a verifier whose clock is a little behind still accepts a fresh token. */
const CLOCK_SKEW_SECONDS = 5;
/**
 * Every token's `aud` unless configured otherwise: what Clerk's Convex integration puts in session
 * tokens, and what a Convex deployment's auth.config.ts expects as `applicationID`. The token settings
 * (`PATCH /token-settings`) replace it on purpose, to show the app a misconfigured token.
 */
export const DEFAULT_AUDIENCE = "convex";

/**
 * Sign-in: `user_id` or `email_address` says who. `organization_id` picks the active organization;
 * absent means the user's oldest membership, `null` means none.
 */
export type CreateSessionInput = { user_id?: string; email_address?: string; organization_id?: string | null };

/** The payload of a minted token. */
export type SessionClaims = {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  nbf: number;
  exp: number;
  sid: string;
  v: 2;
  sts: "active";
  fva: [number, number];
  azp?: string;
  fea?: string;
  o?: { id: string; rol: string; slg: string; per?: string; fpm?: string };
  name?: string;
  email: string;
};

/** Sessions and token minting. */
export class Sessions {
  private readonly store: Store;
  private readonly key: SigningKey;
  private readonly issuer: string;
  private readonly settings: TokenSettings;
  private readonly roles: Roles;

  constructor(store: Store, key: SigningKey, issuer: string, settings: TokenSettings, roles: Roles) {
    this.store = store;
    this.key = key;
    this.issuer = issuer;
    this.settings = settings;
    this.roles = roles;
  }

  private get state() {
    return this.store.state;
  }

  private record(id: unknown): SessionRecord {
    const sessionId = checkId(id, "session id", "sess");
    const session = this.state.sessions.find((s) => s.id === sessionId);
    if (!session) throw new IdpError("not_found", `No session ${sessionId}.`);
    return session;
  }

  private activeRecord(id: unknown): SessionRecord {
    const session = this.record(id);
    if (session.status !== "active") {
      const why = session.status === "revoked" ? "was revoked (its user was deleted)" : "has ended (signed out)";
      throw new IdpError("gone", `Session ${session.id} ${why}; sign in again.`);
    }
    return session;
  }

  private assertMember(user: UserRecord, organizationId: string): void {
    if (!this.state.organizations.some((o) => o.id === organizationId)) {
      throw new IdpError("not_found", `No organization ${organizationId}.`);
    }
    if (!this.state.memberships.some((m) => m.organization_id === organizationId && m.user_id === user.id)) {
      throw new IdpError(
        "invalid",
        `${user.id} is not a member of ${organizationId}, so it cannot be the active organization.`,
      );
    }
  }

  /** One session, whatever its status; throws `not_found`. */
  get(id: string): SessionRecord {
    return structuredClone(this.record(id));
  }

  /** The signed-in user's memberships, each with its organization: what an organization switcher lists. */
  organizations(id: string): Array<MembershipRecord & { organization: OrganizationRecord }> {
    const session = this.activeRecord(id);
    return structuredClone(
      this.state.memberships
        .filter((m) => m.user_id === session.user_id)
        .flatMap((m) => {
          const organization = this.state.organizations.find((o) => o.id === m.organization_id);
          return organization ? [{ ...m, organization }] : [];
        }),
    );
  }

  /** Signs a user in. */
  create(input: CreateSessionInput): SessionRecord {
    const body = fields(input, "The sign-in", ["user_id", "email_address", "organization_id"]);
    const userId = body.user_id === undefined ? undefined : checkId(body.user_id, "user_id", "user");
    const email = optionalString(body, "email_address", EMAIL)?.toLowerCase();
    if ((userId === undefined) === (email === undefined)) {
      throw new IdpError("invalid", "The sign-in needs exactly one of user_id or email_address.");
    }
    const user = this.state.users.find((u) => (userId !== undefined ? u.id === userId : u.email_address === email));
    if (!user) throw new IdpError("not_found", `No user ${userId ?? `with the email address ${email}`}.`);
    let organizationId = nullableId(body, "organization_id", "org");
    if (organizationId === undefined) {
      organizationId = this.state.memberships.find((m) => m.user_id === user.id)?.organization_id ?? null;
    } else if (organizationId !== null) {
      this.assertMember(user, organizationId);
    }
    const now = this.store.tick();
    const session: SessionRecord = {
      id: newId("sess"),
      user_id: user.id,
      status: "active",
      last_active_organization_id: organizationId,
      created_at: now,
      updated_at: now,
    };
    this.state.sessions.push(session);
    this.store.save();
    return structuredClone(session);
  }

  /** Switches the active organization (`null`: none). */
  setActiveOrganization(id: string, organizationId: string | null): SessionRecord {
    const session = this.activeRecord(id);
    const orgId = nullableId({ organization_id: organizationId }, "organization_id", "org") ?? null;
    const user = this.state.users.find((u) => u.id === session.user_id);
    if (!user) throw new Error(`Session ${session.id} belongs to a missing user`);
    if (orgId !== null) this.assertMember(user, orgId);
    session.last_active_organization_id = orgId;
    session.updated_at = this.store.tick();
    this.store.save();
    return structuredClone(session);
  }

  /** Signs out. Later token requests get `gone`. */
  end(id: string): SessionRecord {
    const session = this.record(id);
    if (session.status === "active") {
      session.status = "ended";
      session.updated_at = this.store.tick();
      this.store.save();
    }
    return structuredClone(session);
  }

  /** The claims a token minted now would carry, with the token settings in force for its user. */
  claims(id: string, options: { azp?: string } = {}): SessionClaims {
    const session = this.activeRecord(id);
    const user = this.state.users.find((u) => u.id === session.user_id);
    if (!user) throw new Error(`Session ${session.id} belongs to a missing user`);
    const settings = this.settings.for(user.id);
    const iat = Math.floor(Date.now() / 1000);
    const claims: SessionClaims = {
      iss: this.issuer,
      sub: user.id,
      aud: settings.audience,
      iat,
      nbf: iat - CLOCK_SKEW_SECONDS,
      exp: iat + TOKEN_LIFETIME_SECONDS,
      sid: session.id,
      v: 2,
      sts: "active",
      // Minutes since the first factor was verified (sign-in); -1: no second factor.
      fva: [Math.floor((Date.now() - session.created_at) / 60_000), -1],
      ...(options.azp ? { azp: options.azp } : {}),
      email: user.email_address,
    };
    const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
    if (name !== "") claims.name = name;
    const orgId = session.last_active_organization_id;
    const org = this.state.organizations.find((o) => o.id === orgId);
    const membership = this.state.memberships.find((m) => m.organization_id === orgId && m.user_id === user.id);
    // Without organization claims the session keeps its active organization; only the token stops
    // saying so, as with a Clerk JWT template that leaves `o` and `fea` out.
    if (org && membership && settings.organization_claims) {
      const { fea, per, fpm } = this.roles.claims(membership.role);
      if (fea !== undefined) claims.fea = fea;
      claims.o = {
        id: org.id,
        // Session token v2 writes the role without its `org:` prefix.
        rol: membership.role.slice("org:".length),
        slg: org.slug,
        ...(per !== undefined ? { per } : {}),
        ...(fpm !== undefined ? { fpm } : {}),
      };
    }
    return claims;
  }

  /** A fresh signed token (RS256, `kid` of the published key) for an active session. */
  async token(id: string, options: { azp?: string } = {}): Promise<string> {
    const { iss, sub, aud, iat, nbf, exp, ...rest } = this.claims(id, options);
    return new SignJWT(rest)
      .setProtectedHeader({ alg: "RS256", kid: this.key.kid, typ: "JWT" })
      .setIssuer(iss)
      .setSubject(sub)
      .setAudience(aud)
      .setIssuedAt(iat)
      .setNotBefore(nbf)
      .setExpirationTime(exp)
      .sign(this.key.privateKey);
  }
}
