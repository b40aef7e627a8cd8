// @vitest-environment node
/**
 * The local Clerk stand-in as this app configures it (offline/demo-directory.ts), checked against
 * the backend's own code: its tokens read back, through the backend's claim parser and Clerk's own,
 * as the app's role → permissions table; its webhooks pass the backend's verification and parsing.
 */
import { __experimental_JWTPayloadToAuthObjectProperties as clerkAuthFromClaims } from "@clerk/shared/jwtPayloadParser";
import type { JwtPayload } from "@clerk/shared/types";
import { startIdentityProvider, type IdentityProvider } from "@tenant-workspace/clerk-local";
import { startReceiver, tempDataDir, type Delivery } from "@tenant-workspace/clerk-local/testing";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseOrgClaims } from "../convex/model/auth/claims";
import { ROLE_PERMISSIONS, ROLES } from "../convex/model/auth/permissions";
import { parseClerkDelivery } from "../convex/model/clerk/events";
import { verifyClerkRequest } from "../convex/model/clerk/verify";
import { DEMO_DIRECTORY, IDENTITY_PROVIDER_CONFIG } from "./demo-directory";

const data = tempDataDir();
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let idp: IdentityProvider;

beforeAll(async () => {
  receiver = await startReceiver();
  idp = await startIdentityProvider({
    ...IDENTITY_PROVIDER_CONFIG,
    port: 0,
    dataDir: data.dir,
    quiet: true,
    webhook: { url: receiver.url },
  });
});
afterAll(async () => {
  await idp?.close();
  await receiver?.close();
  data.remove();
});

const org = (slug: string) => idp.directory.listOrganizations().find((o) => o.slug === slug)!;

async function tokenFor(email: string): Promise<Record<string, unknown>> {
  const session = idp.sessions.create({ email_address: email, organization_id: org("acme").id });
  return decodeJwt(await idp.sessions.token(session.id));
}

/** What the backend's webhook endpoint does with a delivery before it writes anything. */
async function expectAccepted(delivery: Delivery): Promise<void> {
  const request = new Request("http://127.0.0.1/webhooks/clerk", {
    method: "POST",
    headers: {
      "svix-id": delivery.svixId,
      "svix-timestamp": delivery.svixTimestamp,
      "svix-signature": delivery.svixSignature,
    },
    body: delivery.body,
  });
  expect(await verifyClerkRequest(request, idp.webhookSecret)).toMatchObject({ ok: true, svixId: delivery.svixId });
  expect(parseClerkDelivery(delivery.event, Date.now())).toMatchObject({ ok: true, type: delivery.event.type });
}

describe("the demo directory", () => {
  it("gives every role of the app a demo user in Acme", () => {
    const acme = org("acme");
    const roles = idp.directory.listMemberships({ organization_id: acme.id }).map((m) => m.role);
    expect([...roles].sort()).toEqual([...ROLES].sort());
    expect(idp.directory.listUsers().map((u) => u.email_address)).toEqual(
      DEMO_DIRECTORY.users.map((u) => u.email_address),
    );
  });
});

describe("tokens", () => {
  it.each(
    DEMO_DIRECTORY.users.flatMap((user) =>
      "acme" in user.memberships ? [[user.email_address, user.memberships.acme] as const] : [],
    ),
  )("of %s (%s) read back as the app's permissions, by the backend's parser and by Clerk's", async (email, role) => {
    const payload = await tokenFor(email);
    expect(parseOrgClaims(payload)).toMatchObject({
      status: "active",
      org: { role, permissions: ROLE_PERMISSIONS[role] },
    });
    const auth = clerkAuthFromClaims(payload as unknown as JwtPayload);
    expect(auth.orgRole).toBe(role);
    expect(auth.orgPermissions ?? []).toEqual(ROLE_PERMISSIONS[role]);
  });

  it("without organization claims name no organization to the backend", async () => {
    idp.tokenSettings.update({ organization_claims: false });
    try {
      expect(parseOrgClaims(await tokenFor("alice.johnson@example.com"))).toEqual({ status: "none" });
    } finally {
      idp.tokenSettings.reset();
    }
  });
});

describe("webhooks", () => {
  it("pass the backend's verification and parsing, with the app's permissions on memberships", async () => {
    const user = idp.directory.createUser({ email_address: "grace.hopper@example.com", first_name: "Grace" });
    idp.directory.updateUser(user.id, { last_name: "Hopper" });
    const team = idp.directory.createOrganization({ name: "Initech", created_by: user.id });
    const erin = idp.directory.listUsers({ email_address: "erin.walsh@example.com" })[0]!;
    idp.directory.addMember(team.id, { user_id: erin.id, role: "org:viewer" });
    idp.directory.changeRole(team.id, erin.id, "org:billing");
    idp.directory.removeMember(team.id, erin.id);
    idp.directory.updateOrganization(team.id, { name: "Initech Labs" });
    idp.directory.deleteOrganization(team.id);
    idp.directory.deleteUser(user.id);
    await idp.webhooks.idle();

    const types = new Set(receiver.accepted().map((d) => d.event.type as string));
    expect(types).toEqual(
      new Set([
        "user.created",
        "user.updated",
        "user.deleted",
        "organization.created",
        "organization.updated",
        "organization.deleted",
        "organizationMembership.created",
        "organizationMembership.updated",
        "organizationMembership.deleted",
      ]),
    );
    for (const delivery of receiver.accepted()) {
      await expectAccepted(delivery);
      if (String(delivery.event.type).startsWith("organizationMembership.")) {
        const { role, permissions } = delivery.event.data as {
          role: keyof typeof ROLE_PERMISSIONS;
          permissions: string[];
        };
        expect(permissions).toEqual(ROLE_PERMISSIONS[role]);
      }
    }
  });
});
