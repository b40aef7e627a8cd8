// @vitest-environment node
/**
 * The export service over real HTTP on the offline stack: tokens signed by the local identity
 * provider (or forged with its own key), verified by the service against the provider's JWKS, and
 * the data read through the deployment's /api/v1 as the caller.
 */
import path from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { decodeJwt, importPKCS8, SignJWT, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signWithProviderKey, startTestStack } from "../../../offline/test-support";
import { EXPORT_PERMISSION, readConfig, startExportService, type ExportService } from "../src";

const APP_ORIGIN = "http://localhost:3000";
const ALICE = "alice.johnson@example.com"; // Acme admin
const BEN = "ben.carter@example.com"; // Acme and Globex member
const ERIN = "erin.walsh@example.com"; // Globex admin

let stack: Awaited<ReturnType<typeof startTestStack>>;
let service: ExportService;
const logged: string[] = [];

beforeAll(async () => {
  stack = await startTestStack("export-service-");
  const config = readConfig({
    CLERK_JWT_ISSUER_DOMAIN: stack.idp.url,
    CLERK_JWKS_URL: `${stack.idp.url}/.well-known/jwks.json`,
    EXPORT_AUTHORIZED_PARTIES: APP_ORIGIN,
    CONVEX_SITE_URL: stack.convex.siteUrl,
    EXPORT_PORT: "0",
  });
  service = await startExportService(config, { log: (line) => logged.push(line) });
});
afterAll(async () => {
  await service?.close();
  await stack?.close();
});

const org = (slug: string) => stack.idp.directory.listOrganizations().find((o) => o.slug === slug)!;

/** A fresh session token for a directory user, with `slug`'s organization active (or none), issued to `azp`. */
async function tokenFor(email: string, slug: string | null, azp: string | null = APP_ORIGIN): Promise<string> {
  const session = stack.idp.sessions.create({
    email_address: email,
    organization_id: slug === null ? null : org(slug).id,
  });
  return await stack.idp.sessions.token(session.id, azp === null ? {} : { azp });
}

/** A genuine admin token's claims with `overrides`, signed with the identity provider's own key. */
async function forged(overrides: JWTPayload): Promise<string> {
  const claims = decodeJwt(await tokenFor(ALICE, "acme"));
  return await signWithProviderKey(path.join(stack.dataDir, "idp"), { ...claims, ...overrides });
}

async function exportAs(token: string | undefined, format = "csv") {
  const response = await fetch(`${service.url}/export?format=${format}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { response, text: await response.text() };
}

type Refusal = { error: { code: string; message: string } };
const refusal = (text: string) => JSON.parse(text) as Refusal;

type JsonExport = {
  organization: { id: string; slug: string | null };
  projects: { _id: string; name: string; tasks: { _id: string; title: string }[] }[];
};

describe("GET /export for a member with the permission", () => {
  test("streams the organization's projects and tasks as CSV, and nothing of another organization", async () => {
    const { response, text } = await exportAs(await tokenFor(ALICE, "acme"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="acme-\d{4}-\d{2}-\d{2}\.csv"$/);
    const rows = text.trimEnd().split("\r\n");
    expect(rows[0]).toMatch(/^record,project_id,project_name,/);
    const projects = rows.filter((row) => row.startsWith("project,"));
    const tasks = rows.filter((row) => row.startsWith("task,"));
    expect(projects.map((row) => row.split(",")[2]).sort()).toEqual(["Mobile app", "Website relaunch"]);
    expect(tasks).toHaveLength(7);
    expect(text).toContain("Migrate blog posts");
    expect(text).not.toContain("Quarterly planning");
    expect(text).not.toContain("Budget review");
  });

  test("as JSON, one document with the organization and each project's tasks", async () => {
    const { response, text } = await exportAs(await tokenFor(ALICE, "acme"), "json");
    expect(response.status).toBe(200);
    const document = JSON.parse(text) as JsonExport;
    expect(document.organization).toEqual({ id: org("acme").id, slug: "acme" });
    expect(document.projects.map((p) => [p.name, p.tasks.length]).sort()).toEqual([
      ["Mobile app", 3],
      ["Website relaunch", 4],
    ]);
  });

  test("another organization's admin gets their own organization and nothing of the first", async () => {
    const acme = JSON.parse((await exportAs(await tokenFor(ALICE, "acme"), "json")).text) as JsonExport;
    const { response, text } = await exportAs(await tokenFor(ERIN, "globex"), "json");
    expect(response.status).toBe(200);
    const globex = JSON.parse(text) as JsonExport;
    expect(globex.organization.id).toBe(org("globex").id);
    expect(globex.projects.map((p) => p.name)).toEqual(["Quarterly planning"]);
    for (const project of acme.projects) {
      expect(text).not.toContain(project._id);
      for (const task of project.tasks) expect(text).not.toContain(task._id);
    }
  });
});

describe("GET /export refuses, saying why", () => {
  async function expectRefusal(token: string | undefined, status: number, code: string, message: RegExp) {
    const { response, text } = await exportAs(token);
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(refusal(text)).toEqual({ error: { code, message: expect.stringMatching(message) } });
    if (status === 401) expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    return text;
  }

  test("no bearer token", async () => {
    await expectRefusal(undefined, 401, "UNAUTHENTICATED", /Missing bearer token/);
  });

  test("an expired token", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefusal(
      await forged({ iat: now - 600, nbf: now - 600, exp: now - 300 }),
      401,
      "UNAUTHENTICATED",
      /expired/,
    );
  });

  test("a token for another audience", async () => {
    await expectRefusal(await forged({ aud: "another-api" }), 401, "UNAUTHENTICATED", /audience "convex"/);
  });

  test("a token without an audience", async () => {
    await expectRefusal(await forged({ aud: undefined }), 401, "UNAUTHENTICATED", /audience "convex"/);
  });

  test("a token from another issuer", async () => {
    await expectRefusal(
      await forged({ iss: "https://clerk.other.example" }),
      401,
      "UNAUTHENTICATED",
      /another Clerk instance/,
    );
  });

  test("a token issued to another application (azp)", async () => {
    await expectRefusal(
      await tokenFor(ALICE, "acme", "https://evil.example"),
      401,
      "UNAUTHENTICATED",
      /issued to another application/,
    );
  });

  test("a token that names no application (no azp)", async () => {
    await expectRefusal(await tokenFor(ALICE, "acme", null), 401, "UNAUTHENTICATED", /names none \(its azp\)/);
  });

  test("a token signed with a key that is not the issuer's", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const key = await importPKCS8(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "RS256");
    const claims = decodeJwt(await tokenFor(ALICE, "acme"));
    const header = JSON.parse(Buffer.from((await tokenFor(ALICE, "acme")).split(".")[0]!, "base64url").toString());
    const token = await new SignJWT(claims).setProtectedHeader(header as { alg: string; kid: string }).sign(key);
    await expectRefusal(token, 401, "UNAUTHENTICATED", /signature does not verify/);
  });

  test("a pending session", async () => {
    await expectRefusal(await forged({ sts: "pending" }), 401, "UNAUTHENTICATED", /session is pending/);
  });

  test("a token without an active organization", async () => {
    await expectRefusal(await tokenFor(ALICE, null), 403, "FORBIDDEN", /No active organization/);
  });

  test(`a member whose role lacks ${EXPORT_PERMISSION}`, async () => {
    await expectRefusal(await tokenFor(BEN, "acme"), 403, "FORBIDDEN", new RegExp(`${EXPORT_PERMISSION}.*org:member`));
  });

  test("malformed organization claims", async () => {
    await expectRefusal(await forged({ o: { id: 42 } }), 403, "FORBIDDEN", /malformed/);
  });

  test("an unknown format, before anything is read", async () => {
    const { response, text } = await exportAs(await tokenFor(ALICE, "acme"), "xlsx");
    expect(response.status).toBe(400);
    expect(refusal(text).error).toMatchObject({ code: "INVALID", message: expect.stringContaining("csv or json") });
  });
});

describe("the service", () => {
  test("logs one line per export, with what it wrote", async () => {
    logged.length = 0;
    await exportAs(await tokenFor(ERIN, "globex"));
    expect(logged).toEqual([
      expect.stringMatching(/^export csv for user_\w+ in org_\w+: 1 projects, 2 tasks, \d+ bytes/),
    ]);
  });

  test("answers other routes with the API's error body", async () => {
    const response = await fetch(`${service.url}/nothing-here`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as Refusal).error.code).toBe("NOT_FOUND");
  });
});

describe("tenancy, enforced by Convex", () => {
  test("a member removed in Clerk gets nothing, though their token still verifies here", async () => {
    const erin = stack.idp.directory.listUsers({ email_address: ERIN })[0]!;
    const token = await tokenFor(ERIN, "globex");
    stack.idp.directory.removeMember(org("globex").id, erin.id);
    await stack.idp.webhooks.idle(10_000);
    const { response, text } = await exportAs(token, "json");
    expect(response.status).toBe(403);
    expect(refusal(text).error.code).toBe("FORBIDDEN");
    expect(text).not.toContain("Quarterly planning");
  });
});
