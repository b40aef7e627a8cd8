/** The demo directory a fresh identity provider starts with. */
import type { Directory } from "./directory";

/** A demo user and the organizations they belong to (slug → role). */
export type DemoUser = {
  first_name: string;
  last_name: string;
  email_address: string;
  memberships: Record<string, "org:admin" | "org:member" | "org:viewer" | "org:billing">;
};

/** The demo organizations; the first admin listed in each creates it. */
export const DEMO_ORGANIZATIONS = [
  { name: "Acme", slug: "acme" },
  { name: "Globex", slug: "globex" },
] as const;

/** Demo users; Ben Carter is in both organizations. Sign in with `{ email_address }`. */
export const DEMO_USERS: readonly DemoUser[] = [
  {
    first_name: "Alice",
    last_name: "Johnson",
    email_address: "alice.johnson@example.com",
    memberships: { acme: "org:admin" },
  },
  {
    first_name: "Ben",
    last_name: "Carter",
    email_address: "ben.carter@example.com",
    memberships: { acme: "org:member", globex: "org:member" },
  },
  {
    first_name: "Chloe",
    last_name: "Nguyen",
    email_address: "chloe.nguyen@example.com",
    memberships: { acme: "org:viewer" },
  },
  {
    first_name: "Diego",
    last_name: "Ramirez",
    email_address: "diego.ramirez@example.com",
    memberships: { acme: "org:billing" },
  },
  {
    first_name: "Erin",
    last_name: "Walsh",
    email_address: "erin.walsh@example.com",
    memberships: { globex: "org:admin" },
  },
];

/** Creates the demo users, organizations and memberships, queuing their events as any change does. */
export function seedDemoDirectory(directory: Directory): void {
  const ids = new Map<string, string>();
  for (const { memberships: _memberships, ...user } of DEMO_USERS) {
    ids.set(user.email_address, directory.createUser(user).id);
  }
  for (const { name, slug } of DEMO_ORGANIZATIONS) {
    const members = DEMO_USERS.filter((u) => u.memberships[slug] !== undefined);
    const creator = members.find((u) => u.memberships[slug] === "org:admin");
    if (!creator) throw new Error(`Demo organization ${slug} has no admin`);
    const org = directory.createOrganization({ name, slug, created_by: ids.get(creator.email_address)! });
    for (const member of members) {
      if (member === creator) continue;
      directory.addMember(org.id, { user_id: ids.get(member.email_address)!, role: member.memberships[slug]! });
    }
  }
}
