// @vitest-environment node
/**
 * The whole offline stack with the project's own functions: demo data, live updates between
 * organization members, permissions refused with their ConvexError data, a cascade on the work
 * pool reaching subscribers, and the local directory's changes arriving as svix-signed Clerk webhooks.
 */
import { ConvexError } from "convex/values";
import type { FunctionReturnType } from "convex/server";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { api } from "../convex/_generated/api";
import { simpleClient, startTestStack, watch } from "./test-support";

let stack: Awaited<ReturnType<typeof startTestStack>>;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  stack = await startTestStack("offline-stack-");
});
afterAll(async () => {
  await stack.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const org = (slug: string) => stack.idp.directory.listOrganizations().find((o) => o.slug === slug)!;
const user = (email: string) => stack.idp.directory.listUsers({ email_address: email })[0]!;

/** A client signed in as a directory user, with an organization active, as the app would be. */
function signedIn(email: string, slug = "acme") {
  const session = stack.idp.sessions.create({ email_address: email, organization_id: org(slug).id });
  const { client } = simpleClient(stack.convex.url, () => stack.idp.sessions.token(session.id));
  cleanups.push(() => client.close());
  return client;
}

const rows = (table: string) =>
  stack.convex.engine.internals.committedDocuments(table) as Record<string, unknown>[] as {
    _id: string;
    clerkId?: string;
    [field: string]: unknown;
  }[];

describe("demo data", () => {
  test("a new stack has the directory synced and the demo projects and tasks", async () => {
    const alice = signedIn("alice.johnson@example.com");
    const counts = watch<FunctionReturnType<typeof api.dashboard.counts>>((onValue, onError) =>
      alice.onUpdate(api.dashboard.counts, {}, onValue, onError),
    );
    expect(await counts.until((v) => v.projects > 0, "the dashboard counts")).toEqual({
      projects: 2,
      tasks: { todo: 4, in_progress: 2, done: 1 },
    });
    // Every demo user and organization arrived through the webhook, not only from tokens.
    expect(rows("users").filter((u) => u.clerkUpdatedAt !== undefined)).toHaveLength(5);
    expect(rows("memberships").filter((m) => m.source === "webhook")).toHaveLength(6);
  });
});

describe("live collaboration with the project's functions", () => {
  test("a member's new task and its move reach the admin's board and dashboard live", async () => {
    const alice = signedIn("alice.johnson@example.com");
    const ben = signedIn("ben.carter@example.com");
    const projects = await ben.query(api.projects.list, { paginationOpts: { numItems: 10, cursor: null } });
    const projectId = projects.page.find((p) => p.name === "Website relaunch")!._id;
    const column = (status: "todo" | "in_progress") =>
      watch<FunctionReturnType<typeof api.tasks.listByStatus>>((onValue, onError) =>
        alice.onUpdate(
          api.tasks.listByStatus,
          { projectId, status, paginationOpts: { numItems: 50, cursor: null } },
          onValue,
          onError,
        ),
      );
    const todo = column("todo");
    const doing = column("in_progress");
    const counts = watch<FunctionReturnType<typeof api.dashboard.counts>>((onValue, onError) =>
      alice.onUpdate(api.dashboard.counts, {}, onValue, onError),
    );
    const before = await counts.until((v) => v.projects > 0, "counts");
    await todo.until((v) => v.page.length > 0, "the todo column");

    const taskId = await ben.mutation(api.tasks.create, { projectId, title: "Fix the footer" });
    await todo.until((v) => v.page.some((t) => t._id === taskId), "the new task in Alice's todo column");
    await counts.until((v) => v.tasks.todo === before.tasks.todo + 1, "Alice's todo count going up");

    await ben.mutation(api.tasks.move, { id: taskId, status: "in_progress" });
    await doing.until((v) => v.page.some((t) => t._id === taskId), "the task in Alice's in-progress column");
    await todo.until((v) => !v.page.some((t) => t._id === taskId), "the task leaving Alice's todo column");
    await counts.until(
      (v) => v.tasks.todo === before.tasks.todo && v.tasks.in_progress === before.tasks.in_progress + 1,
      "Alice's counts following the move",
    );
  });

  test("a viewer's write is refused with the ConvexError data the app shows", async () => {
    const chloe = signedIn("chloe.nguyen@example.com");
    const projects = await chloe.query(api.projects.list, { paginationOpts: { numItems: 10, cursor: null } });
    const error = await chloe
      .mutation(api.tasks.create, { projectId: projects.page[0]!._id, title: "Not allowed" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConvexError);
    expect((error as ConvexError<{ code: string; message: string }>).data.code).toBe("FORBIDDEN");
  });

  test("deleting a project: the work pool's batches reach a subscriber's list and counts", async () => {
    const alice = signedIn("alice.johnson@example.com");
    const projectId = await alice.mutation(api.projects.create, { name: "Short-lived" });
    for (let n = 0; n < 3; n += 1) await alice.mutation(api.tasks.create, { projectId, title: `Task ${n}` });
    const list = watch<FunctionReturnType<typeof api.projects.list>>((onValue, onError) =>
      alice.onUpdate(api.projects.list, { paginationOpts: { numItems: 10, cursor: null } }, onValue, onError),
    );
    await list.until((v) => v.page.some((p) => p._id === projectId), "the list with the project");
    const board = watch<FunctionReturnType<typeof api.dashboard.counts>>((onValue, onError) =>
      alice.onUpdate(api.dashboard.counts, {}, onValue, onError),
    );
    const before = await board.until((v) => v.projects > 0, "counts");
    await alice.mutation(api.projects.remove, { id: projectId });
    await board.until(
      (v) => v.projects === before.projects - 1 && v.tasks.todo === before.tasks.todo - 3,
      "the counts after the deletion",
    );
    // The list shows it as being deleted until the pool's last batch removes its row.
    await list.until((v) => !v.page.some((p) => p._id === projectId), "the list after the last batch");
    expect(rows("projects").filter((p) => p._id === projectId)).toHaveLength(0);
    expect(rows("tasks").filter((t) => t.projectId === projectId)).toHaveLength(0);
  });
});

describe("the directory's changes arrive as Clerk webhooks", () => {
  test("sign-up, new organization, membership, role change and removal end up in the tables", async () => {
    const { directory, webhooks } = stack.idp;
    const fay = directory.createUser({ email_address: "fay.lund@example.com", first_name: "Fay", last_name: "Lund" });
    const initech = directory.createOrganization({ name: "Initech", created_by: fay.id });
    const ben = user("ben.carter@example.com");
    directory.addMember(initech.id, { user_id: ben.id, role: "org:viewer" });
    directory.changeRole(initech.id, ben.id, "org:member");
    await webhooks.idle(10_000);

    const fayRow = rows("users").find((u) => u.clerkId === fay.id)!;
    expect(fayRow).toMatchObject({ email: "fay.lund@example.com", name: "Fay Lund" });
    const orgRow = rows("organizations").find((o) => o.clerkId === initech.id)!;
    expect(orgRow).toMatchObject({ name: "Initech", slug: initech.slug });
    const benRow = rows("users").find((u) => u.clerkId === ben.id)!;
    const memberships = rows("memberships").filter((m) => m.orgId === orgRow._id);
    expect(memberships.map((m) => [m.userId, m.role, m.source, m.deletedAt]).sort()).toEqual(
      [
        [fayRow._id, "org:admin", "webhook", undefined],
        [benRow._id, "org:member", "webhook", undefined],
      ].sort(),
    );
    // Every delivery was verified and recorded once.
    expect(webhooks.status().failed).toHaveLength(0);

    // Ben watches Initech's projects; removing him ends his access live, without a new token.
    const benClient = signedIn("ben.carter@example.com", "initech");
    const access = watch<unknown>((onValue, onError) =>
      benClient.onUpdate(api.projects.list, { paginationOpts: { numItems: 5, cursor: null } }, onValue, onError),
    );
    await access.until(() => true, "Ben's project list");
    directory.removeMember(initech.id, ben.id);
    await webhooks.idle(10_000);
    const denied = await watchError(access);
    expect((denied as ConvexError<{ code: string }>).data.code).toBe("FORBIDDEN");
    expect(rows("memberships").find((m) => m.orgId === orgRow._id && m.userId === benRow._id)?.deletedAt).toBeTypeOf(
      "number",
    );

    directory.deleteUser(fay.id);
    await webhooks.idle(10_000);
    expect(rows("users").find((u) => u.clerkId === fay.id)?.deletedAt).toBeTypeOf("number");
  });
});

async function watchError(watched: { errors: Error[] }): Promise<Error> {
  const deadline = Date.now() + 5_000;
  while (watched.errors.length === 0) {
    if (Date.now() > deadline) throw new Error("Timed out waiting for the subscription to fail");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return watched.errors[0]!;
}
