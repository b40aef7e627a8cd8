// What the browser knows of the identity provider, as the app's /api/offline routes (`./next`) hand
// it over: camelCase views of the provider's records, never its session ids or tokens' keys.

export type OfflineAccount = {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  imageUrl: string | null;
};

/** A directory account with where it belongs, for choosing whom to sign in as. */
export type OfflineDirectoryAccount = OfflineAccount & {
  memberships: { organizationName: string; role: string }[];
};

export type OfflineOrganization = {
  id: string;
  name: string;
  slug: string | null;
  /** The caller's role in it, e.g. `org:admin`. */
  role: string;
  imageUrl: string | null;
};

/** A member of an organization in the provider's directory. */
export type OfflineMember = { role: string; account: OfflineAccount };

/**
 * The signed-in session. `sessionId` is a handle that tells sessions apart, not the provider's
 * session id: that one stays in the HttpOnly cookie.
 */
export type OfflineSession = { sessionId: string; userId: string; activeOrgId: string | null };

export type NewOfflineAccount = { firstName: string; lastName: string; email: string };

/** Who signs in: a listed account, or an email address. */
export type OfflineSignIn = { userId: string } | { email: string };
