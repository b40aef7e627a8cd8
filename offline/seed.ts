/**
 * Demo projects and tasks for a fresh offline stack, created the way the app creates them: through
 * the public mutations, as the demo admins, with tokens from the local identity provider. The
 * users, organizations and memberships come from the identity provider's webhooks beforehand.
 */
import { ConvexHttpClient } from "convex/browser";
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import type { IdentityProvider } from "@tenant-workspace/clerk-local";

type TaskSeed = { title: string; status: "todo" | "in_progress" | "done"; assignee?: string; description?: string };
type ProjectSeed = { name: string; tasks: TaskSeed[] };

/** Per organization slug (offline/demo-directory.ts): who creates the data, and what. Assignees are demo users' first names. */
const DEMO_DATA: Record<string, { admin: string; projects: ProjectSeed[] }> = {
  acme: {
    admin: "alice.johnson@example.com",
    projects: [
      {
        name: "Website relaunch",
        tasks: [
          { title: "Write the launch announcement", status: "todo", assignee: "Ben" },
          { title: "Review the pricing page copy", status: "todo" },
          { title: "Migrate blog posts", status: "in_progress", assignee: "Ben", description: "Keep the old URLs." },
          { title: "Pick a colour palette", status: "done", assignee: "Alice" },
        ],
      },
      {
        name: "Mobile app",
        tasks: [
          { title: "Sign-in screen", status: "in_progress", assignee: "Alice" },
          { title: "Push notifications", status: "todo" },
          { title: "Offline mode", status: "todo", assignee: "Ben" },
        ],
      },
    ],
  },
  globex: {
    admin: "erin.walsh@example.com",
    projects: [
      {
        name: "Quarterly planning",
        tasks: [
          { title: "Collect team goals", status: "in_progress", assignee: "Erin" },
          { title: "Budget review", status: "todo", assignee: "Ben" },
        ],
      },
    ],
  },
};

/** Creates the demo projects and tasks; returns how many tasks it created. */
export async function seedDemoData(convexUrl: string, idp: IdentityProvider): Promise<number> {
  // The directory's users and memberships reach the backend as webhooks: wait for them first,
  // so assignees resolve to the synced users.
  await idp.webhooks.idle(30_000);
  let created = 0;
  for (const [slug, { admin, projects }] of Object.entries(DEMO_DATA)) {
    const organization = idp.directory.listOrganizations().find((org) => org.slug === slug);
    if (organization === undefined) continue;
    const session = idp.sessions.create({ email_address: admin, organization_id: organization.id });
    const client = new ConvexHttpClient(convexUrl, { logger: false });
    client.setAuth(await idp.sessions.token(session.id));
    await client.mutation(api.users.ensure, {});
    const members = await client.query(api.organizations.members, {
      paginationOpts: { numItems: 100, cursor: null },
    });
    const byFirstName = new Map<string, Id<"users">>(
      members.page.map((member) => [member.user.name.split(" ")[0]!, member.user._id]),
    );
    for (const project of projects) {
      const projectId = await client.mutation(api.projects.create, { name: project.name });
      for (const task of project.tasks) {
        const assigneeId = task.assignee === undefined ? undefined : byFirstName.get(task.assignee);
        await client.mutation(api.tasks.create, {
          projectId,
          title: task.title,
          status: task.status,
          ...(task.description !== undefined && { description: task.description }),
          ...(assigneeId !== undefined && { assigneeId }),
        });
        created += 1;
      }
    }
    idp.sessions.end(session.id);
  }
  return created;
}
