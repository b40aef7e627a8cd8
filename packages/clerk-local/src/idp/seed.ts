/** The directory a fresh identity provider starts with: the app's demo users and organizations. */
import type { Directory } from "./directory";
import { CREATOR_ROLE } from "./roles";

/** A user to create, and the organizations they belong to (slug → role, `org:` form). */
export type SeedUser = {
  first_name: string;
  last_name: string;
  email_address: string;
  memberships: Readonly<Record<string, string>>;
};

/**
 * Users and organizations to create on the first start (an empty data directory). Each
 * organization is created by the first of its members whose role is `org:admin`.
 */
export type DirectorySeed = {
  organizations: readonly { name: string; slug: string }[];
  users: readonly SeedUser[];
};

/** Nothing: a provider without a seed starts with an empty directory (anyone can sign up). */
export const EMPTY_SEED: DirectorySeed = { organizations: [], users: [] };

/** Creates the seed's users, organizations and memberships, queuing their events as any change does. */
export function seedDirectory(directory: Directory, seed: DirectorySeed): void {
  const unknown = seed.users.flatMap((u) =>
    Object.keys(u.memberships).filter((slug) => !seed.organizations.some((o) => o.slug === slug)),
  );
  if (unknown.length > 0) throw new Error(`Seed memberships name unknown organizations: ${unknown.join(", ")}.`);
  const ids = new Map<string, string>();
  for (const { memberships: _memberships, ...user } of seed.users) {
    ids.set(user.email_address, directory.createUser(user).id);
  }
  for (const { name, slug } of seed.organizations) {
    const members = seed.users.filter((u) => u.memberships[slug] !== undefined);
    const creator = members.find((u) => u.memberships[slug] === CREATOR_ROLE);
    if (!creator) throw new Error(`Seed organization ${slug} has no member with the role ${CREATOR_ROLE}.`);
    const org = directory.createOrganization({ name, slug, created_by: ids.get(creator.email_address)! });
    for (const member of members) {
      if (member === creator) continue;
      directory.addMember(org.id, { user_id: ids.get(member.email_address)!, role: member.memberships[slug]! });
    }
  }
}
