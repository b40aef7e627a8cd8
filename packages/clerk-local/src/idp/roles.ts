/**
 * The organization roles and permissions the provider issues, as a Clerk instance is configured with
 * them (Dashboard → Roles & Permissions), and how Clerk encodes them in a session token. The table is
 * the app's: it passes its own (`roles` in IdentityProviderOptions), so the tokens carry what its
 * backend checks.
 */
import { IdpError } from "./errors";

/** Role → the custom permissions it grants, in Clerk's spelling: roles `org:<key>`, permissions `org:<feature>:<action>`. */
export type RolePermissions = Readonly<Record<string, readonly string[]>>;

/** Clerk's default roles, with no custom permissions: what a new Clerk instance has. */
export const CLERK_DEFAULT_ROLES: RolePermissions = { "org:admin": [], "org:member": [] };

/** The role every organization's creator gets, as with Clerk (it must be in the table). */
export const CREATOR_ROLE = "org:admin";

const ROLE_KEY = /^org:[a-z0-9_]+$/;
const PERMISSION_KEY = /^org:[a-z0-9_]+:[a-z0-9_]+$/;

/** What a token carries for a role: the top-level `fea` claim and `o.per` / `o.fpm`. */
export type PermissionClaims = { fea?: string; per?: string; fpm?: string };

/** The table in force: parses roles from input and encodes their permissions. */
export class Roles {
  readonly names: readonly string[];
  private readonly table: RolePermissions;

  /** Refuses a table Clerk would not accept, so a typo fails at start rather than in a token. */
  constructor(table: RolePermissions = CLERK_DEFAULT_ROLES) {
    const names = Object.keys(table);
    for (const name of names) {
      if (!ROLE_KEY.test(name)) throw new Error(`Role ${JSON.stringify(name)} is not a Clerk role key (org:<key>).`);
      for (const permission of table[name]!) {
        if (!PERMISSION_KEY.test(permission)) {
          throw new Error(`Permission ${JSON.stringify(permission)} of ${name} is not org:<feature>:<action>.`);
        }
      }
    }
    if (!names.includes(CREATOR_ROLE)) {
      throw new Error(`The roles must include ${CREATOR_ROLE}: an organization's creator gets it.`);
    }
    this.names = names;
    this.table = Object.fromEntries(names.map((name) => [name, [...table[name]!]]));
  }

  /** The role's permissions; none for a role the table does not have (e.g. one kept from an older table). */
  permissions(role: string): string[] {
    return [...(this.table[role] ?? [])];
  }

  /** Accepts `admin` or `org:admin`; anything else is refused with the roles that exist. */
  parse(value: unknown, key = "role"): string {
    if (typeof value !== "string" || value.trim() === "") {
      throw new IdpError("invalid", `${key} is required: one of ${this.names.join(", ")}.`);
    }
    const trimmed = value.trim();
    const role = trimmed.startsWith("org:") ? trimmed : `org:${trimmed}`;
    if (!this.names.includes(role)) {
      throw new IdpError("invalid", `${key} "${trimmed}" is not a role of this app: one of ${this.names.join(", ")}.`);
    }
    return role;
  }

  /**
   * Encodes a role's permissions as Clerk's session token v2 does: `o.per` lists permission actions
   * (`manage,write,read`), the top-level `fea` lists features (`o:projects,o:tasks`), and `o.fpm`
   * holds one bitmask per feature saying which actions it grants.
   */
  claims(role: string): PermissionClaims {
    const keys = this.permissions(role);
    // A role without permissions gets no permission claims; readers fall back to "none".
    if (keys.length === 0) return {};
    const features: string[] = [];
    const actions: string[] = [];
    const parsed = keys.map((key) => {
      const [, feature, action] = key.split(":") as [string, string, string];
      if (!features.includes(feature)) features.push(feature);
      if (!actions.includes(action)) actions.push(action);
      return { feature, action };
    });
    // Bit i (least significant first) of a feature's mask grants the i-th action of `per`.
    const masks = features.map((feature) =>
      parsed.filter((p) => p.feature === feature).reduce((mask, p) => mask | (1 << actions.indexOf(p.action)), 0),
    );
    return {
      fea: features.map((feature) => `o:${feature}`).join(","),
      per: actions.join(","),
      fpm: masks.join(","),
    };
  }
}
