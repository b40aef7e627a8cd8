/**
 * Token settings: a switch to make the provider issue deliberately misconfigured tokens (another
 * `aud`, or no organization claims, as a Clerk JWT template that leaves them out would), so a
 * developer or a browser test can see how the app reports such a misconfiguration. Kept in memory
 * only: a restart issues normal tokens again, so a forgotten switch cannot outlive the run.
 */
import { IdpError } from "./errors";
import { checkId, fields, optionalString } from "./input";
import { DEFAULT_AUDIENCE } from "./sessions";
import type { Store } from "./state";

/** What a user's tokens get. */
export type TokenSettingsValues = {
  /** The `aud` claim. */
  audience: string;
  /** Whether a session with an active organization gets the `o` and `fea` claims. */
  organization_claims: boolean;
};

/** What `GET /token-settings` answers. */
export type TokenSettingsView = {
  object: "token_settings";
  /** What every user's tokens get unless overridden. */
  default: TokenSettingsValues;
  /** Per-user overrides: only the fields set for that user. */
  users: Record<string, Partial<TokenSettingsValues>>;
};

/** A change: without `user_id` to the default, with it to that user's tokens only. */
export type UpdateTokenSettingsInput = { audience?: string; organization_claims?: boolean; user_id?: string };

/** What tokens get when nothing was changed (with the default audience): what the backend expects. */
export const NORMAL_TOKEN_SETTINGS: Readonly<TokenSettingsValues> = Object.freeze({
  audience: DEFAULT_AUDIENCE,
  organization_claims: true,
});

const UPDATE_FIELDS = ["audience", "organization_claims", "user_id"] as const;
/** One value, as the `applicationID` it is compared with; whitespace is refused as a likely typo. */
const AUDIENCE_RULE = { max: 200, pattern: /^\S+$/, hint: "expected one word without spaces, like not-convex" };

/** The settings in force, and the one place that changes them. */
export class TokenSettings {
  private readonly store: Store;
  private readonly log: (line: string) => void;
  private readonly normal: Readonly<TokenSettingsValues>;
  private defaults: TokenSettingsValues;
  private readonly overrides = new Map<string, Partial<TokenSettingsValues>>();

  /**
   * `log` gets one line per change, so a misconfiguration left on is never silent. `audience` is the
   * normal `aud` (DEFAULT_AUDIENCE unless the provider was configured with another).
   */
  constructor(store: Store, log: (line: string) => void, audience: string = DEFAULT_AUDIENCE) {
    this.store = store;
    this.log = log;
    this.normal = Object.freeze({ ...NORMAL_TOKEN_SETTINGS, audience });
    this.defaults = { ...this.normal };
  }

  private isNormal(values: TokenSettingsValues): boolean {
    return values.audience === this.normal.audience && values.organization_claims === this.normal.organization_claims;
  }

  private userId(value: unknown): string {
    const userId = checkId(value, "user_id", "user");
    if (!this.store.state.users.some((u) => u.id === userId)) {
      throw new IdpError("not_found", `No user ${userId}.`);
    }
    return userId;
  }

  /** Overrides of deleted users would otherwise linger in every answer. */
  private prune(): void {
    for (const userId of this.overrides.keys()) {
      if (!this.store.state.users.some((u) => u.id === userId)) this.overrides.delete(userId);
    }
  }

  /** What a user's tokens get now. */
  for(userId: string): TokenSettingsValues {
    return { ...this.defaults, ...this.overrides.get(userId) };
  }

  /** The default and the overrides, as `GET /token-settings` answers. */
  view(): TokenSettingsView {
    this.prune();
    return {
      object: "token_settings",
      default: { ...this.defaults },
      users: Object.fromEntries([...this.overrides].map(([userId, values]) => [userId, { ...values }])),
    };
  }

  /** Changes the default, or one user's tokens with `user_id`. Everything is checked before anything changes. */
  update(input: UpdateTokenSettingsInput): TokenSettingsView {
    const body = fields(input, "The token settings update", UPDATE_FIELDS);
    if (body.audience === undefined && body.organization_claims === undefined) {
      throw new IdpError(
        "invalid",
        "The token settings update must set at least one of audience, organization_claims " +
          "(DELETE /token-settings restores normal tokens).",
      );
    }
    const audience = optionalString(body, "audience", AUDIENCE_RULE);
    const organizationClaims = body.organization_claims;
    if (organizationClaims !== undefined && typeof organizationClaims !== "boolean") {
      throw new IdpError(
        "invalid",
        `organization_claims must be true or false (got ${JSON.stringify(organizationClaims)}).`,
      );
    }
    const userId = body.user_id === undefined ? undefined : this.userId(body.user_id);
    const before = JSON.stringify(this.view());
    const change = {
      ...(audience !== undefined ? { audience } : {}),
      ...(organizationClaims !== undefined ? { organization_claims: organizationClaims } : {}),
    };
    if (userId === undefined) this.defaults = { ...this.defaults, ...change };
    else this.overrides.set(userId, { ...this.overrides.get(userId), ...change });
    const after = this.view();
    if (JSON.stringify(after) !== before) this.announce(userId);
    return after;
  }

  /** Back to normal tokens for everyone, or, with a user id, clears that user's override only. */
  reset(userId?: string): TokenSettingsView {
    if (userId === undefined) {
      this.prune();
      const changed = !this.isNormal(this.defaults) || this.overrides.size > 0;
      this.defaults = { ...this.normal };
      this.overrides.clear();
      if (changed) this.announce(undefined);
    } else {
      const id = this.userId(userId);
      if (this.overrides.delete(id)) this.announce(id);
    }
    return this.view();
  }

  /** One line saying what the changed tokens now carry. */
  private announce(userId: string | undefined): void {
    const values = userId === undefined ? this.defaults : this.for(userId);
    const odd = [
      ...(values.audience !== this.normal.audience ? [`aud ${JSON.stringify(values.audience)}`] : []),
      ...(values.organization_claims ? [] : ["no organization claims"]),
    ];
    const who = userId ?? "everyone";
    if (odd.length > 0) {
      this.log(
        `offline identity provider: tokens for ${who} now have ${odd.join(" and ")} (DELETE /token-settings to restore)`,
      );
      return;
    }
    // Normal again for everyone except users whose own override still makes their tokens odd.
    const still = userId === undefined ? [...this.overrides.keys()].filter((id) => !this.isNormal(this.for(id))) : [];
    this.log(
      `offline identity provider: tokens for ${who} are normal again` +
        (still.length > 0 ? ` except ${still.join(", ")} (DELETE /token-settings to restore)` : ""),
    );
  }
}
