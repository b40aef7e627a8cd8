// @vitest-environment node
/**
 * File storage as a deployment serves it, through the real clients and `fetch`: upload URLs and the
 * upload endpoint, file URLs and what they serve, deletes, actions' `store`/`get`, HTTP actions,
 * and the bytes on disk across restarts.
 *
 * Behaviour from Convex's docs ("Uploading and Storing Files", "Serving Files", "Deleting Files",
 * "Accessing File Metadata", "Storing Generated Files") and convex-backend's
 * crates/local_backend/src/storage.rs (upload and download endpoints, one-hour tokens, headers),
 * crates/file_storage/src/core.rs (URLs, digests), crates/keybroker/src/broker.rs (token checks),
 * crates/model/src/file_storage/virtual_table.rs (the `_storage` row) and
 * crates/isolate/src/environment/udf/async_syscall.rs (`getMetadata`).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { httpClient, simpleClient, startFixture, watch } from "./support";

type Row = { _id: string; _creationTime: number; sha256: string; size: number; contentType: string | null };
type Args = { storageId: string };
const generateUploadUrl = makeFunctionReference<"mutation", Record<string, never>, string>("files:generateUploadUrl");
const fileUrl = makeFunctionReference<"query", Args, string | null>("files:url");
const metadata = makeFunctionReference<"query", Args, Row | null>("files:metadata");
const list = makeFunctionReference<"query", Record<string, never>, Row[]>("files:list");
const remove = makeFunctionReference<"mutation", Args, null>("files:remove");
const removeThenFail = makeFunctionReference<"mutation", Args, null>("files:removeThenFail");
const storeText = makeFunctionReference<"action", { text: string; contentType?: string; sha256?: string }, string>(
  "files:storeText",
);
const readText = makeFunctionReference<"action", Args, { text: string; type: string; size: number } | null>(
  "files:readText",
);
const legacyMetadata = makeFunctionReference<
  "action",
  Args,
  { storageId: string; sha256: string; size: number; contentType: string | null } | null
>("files:legacyMetadata");
const removeFromAction = makeFunctionReference<"action", Args, null>("files:removeFromAction");

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let fixture: Awaited<ReturnType<typeof startFixture>>;
beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.close();
});

const api = () => httpClient(fixture.server.url);
const storageDir = () => path.join(fixture.dataDir, "convex", "storage");
const sha256Base64 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("base64");

/** Uploads as the docs' web page does: a URL from a mutation, then a POST of the bytes. */
async function upload(body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string> = {}) {
  const uploadUrl = await api().mutation(generateUploadUrl, {});
  const response = await fetch(uploadUrl, { method: "POST", headers, body });
  return { uploadUrl, response };
}

async function uploaded(body: Uint8Array<ArrayBuffer> | string, contentType?: string): Promise<string> {
  const { response } = await upload(body, contentType === undefined ? {} : { "content-type": contentType });
  expect(response.status).toBe(200);
  return ((await response.json()) as { storageId: string }).storageId;
}

describe("uploading through a generated URL", () => {
  test("the URL is on the deployment URL; a POST stores the body and answers its id; getUrl serves it", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
    const { uploadUrl, response } = await upload(png, { "content-type": "image/png" });
    expect(uploadUrl.startsWith(`${fixture.server.url}/api/storage/upload?token=`)).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const { storageId } = (await response.json()) as { storageId: string };

    expect(await api().query(metadata, { storageId })).toEqual({
      _id: storageId,
      _creationTime: expect.any(Number) as number,
      sha256: sha256Base64(png),
      size: png.length,
      contentType: "image/png",
    });
    const url = await api().query(fileUrl, { storageId });
    expect(url).toMatch(new RegExp(`^${fixture.server.url}/api/storage/[0-9a-f-]{36}$`));
    // The URL's name is random, not the id: ids may be shared, URLs are bearer links.
    expect(url).not.toContain(storageId);

    const served = await fetch(url!);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(served.headers.get("content-length")).toBe(String(png.length));
    expect(served.headers.get("digest")).toBe(`sha-256=${sha256Base64(png)}`);
    expect(served.headers.get("cache-control")).toBe("private, max-age=2592000");
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(png);
  });

  test("without a Content-Type the row's contentType is null and the file is served without one", async () => {
    const storageId = await uploaded(new Uint8Array([7, 7, 7]));
    expect((await api().query(metadata, { storageId }))?.contentType).toBeNull();
    const served = await fetch((await api().query(fileUrl, { storageId }))!);
    expect(served.headers.get("content-type")).toBeNull();
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(new Uint8Array([7, 7, 7]));
  });

  test("a token serves until an hour after it was issued, however often; a forged one is refused", async () => {
    const uploadUrl = await api().mutation(generateUploadUrl, {});
    for (const body of ["first", "second"]) {
      expect((await fetch(uploadUrl, { method: "POST", body })).status).toBe(200);
    }
    // Another signature, and the same one spelled differently in its last base64 character.
    const token = new URL(uploadUrl).searchParams.get("token")!;
    const mac = token.slice(token.lastIndexOf(".") + 1);
    const flip = (char: string) => (char === "A" ? "B" : "A");
    // A 32-byte signature's last base64 character carries 4 bits and 2 unused ones: flip an unused one.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const respelled = mac.slice(0, -1) + alphabet[alphabet.indexOf(mac[mac.length - 1]!) ^ 1]!;
    expect(Buffer.from(respelled, "base64url")).toEqual(Buffer.from(mac, "base64url"));
    for (const forgedMac of [flip(mac[0]!) + mac.slice(1), respelled]) {
      const forged = uploadUrl.replace(mac, forgedMac);
      const refused = await fetch(forged, { method: "POST", body: "forged" });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ code: "StorageTokenInvalid" });
    }

    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 60 * 60 * 1000 - 5_000);
      expect((await fetch(uploadUrl, { method: "POST", body: "just in time" })).status).toBe(200);
      vi.setSystemTime(Date.now() + 10_000);
      const late = await fetch(uploadUrl, { method: "POST", body: "too late" });
      expect(late.status).toBe(401);
      expect(await late.json()).toMatchObject({ code: "StorageTokenExpired" });
    } finally {
      vi.useRealTimers();
    }
  });

  test("a Digest header that does not match the body is refused and nothing is stored", async () => {
    const before = (await api().query(list, {})).length;
    const filesBefore = readdirSync(storageDir()).length;
    const { response } = await upload("the body", { digest: `sha-256=${sha256Base64("another body")}` });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "Sha256Mismatch" });
    expect((await api().query(list, {})).length).toBe(before);
    expect(readdirSync(storageDir()).length).toBe(filesBefore);
    // A matching one is accepted.
    expect((await upload("the body", { digest: `sha-256=${sha256Base64("the body")}` })).response.status).toBe(200);
  });

  test("a browser's preflight for an upload from another origin is answered", async () => {
    const { uploadUrl } = await upload("x");
    const preflight = await fetch(uploadUrl, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("content-type");
  });
});

describe("serving files", () => {
  test("one byte range is served as 206 with its Content-Range; several are refused", async () => {
    const storageId = await uploaded("0123456789", "text/plain");
    const url = (await api().query(fileUrl, { storageId }))!;
    const part = await fetch(url, { headers: { range: "bytes=2-5" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 2-5/10");
    expect(await part.text()).toBe("2345");
    const tail = await fetch(url, { headers: { range: "bytes=-3" } });
    expect(await tail.text()).toBe("789");
    expect((await fetch(url, { headers: { range: "bytes=0-1,4-5" } })).status).toBe(416);
  });

  test("a URL of no stored file answers 404; a path that is no file URL answers 400", async () => {
    const missing = await fetch(`${fixture.server.url}/api/storage/00000000-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "FileNotFound" });
    const malformed = await fetch(`${fixture.server.url}/api/storage/not-a-file`);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: "InvalidStoragePath" });
  });
});

describe("deleting files", () => {
  test("a deleted file's URL answers 404, getUrl turns null live, and its row and bytes are gone", async () => {
    const storageId = await uploaded("to be deleted", "text/plain");
    const url = (await api().query(fileUrl, { storageId }))!;
    const uuid = url.split("/").pop()!;
    expect(readdirSync(storageDir())).toContain(`${storageId}.${uuid}`);

    const { client } = simpleClient(fixture.server.url);
    try {
      const seen = watch<string | null>((onValue, onError) =>
        client.onUpdate(fileUrl, { storageId }, onValue, onError),
      );
      await seen.until((value) => value === url, "the file's URL");
      await client.mutation(remove, { storageId });
      await seen.until((value) => value === null, "getUrl turning null after the delete");
    } finally {
      await client.close();
    }
    expect((await fetch(url)).status).toBe(404);
    expect(await api().query(metadata, { storageId })).toBeNull();
    expect((await api().query(list, {})).map((row) => row._id)).not.toContain(storageId);
    expect(readdirSync(storageDir())).not.toContain(`${storageId}.${uuid}`);
    await expect(api().mutation(remove, { storageId })).rejects.toThrow(/not found/);
  });

  test("a mutation that deletes and then fails leaves the file", async () => {
    const storageId = await uploaded("kept", "text/plain");
    await expect(api().mutation(removeThenFail, { storageId })).rejects.toThrow(/changed my mind/);
    // Another commit to _storage must not take it either.
    await uploaded("another");
    const url = (await api().query(fileUrl, { storageId }))!;
    expect(await (await fetch(url)).text()).toBe("kept");
  });
});

describe("actions and HTTP actions", () => {
  test("an action stores a Blob with its type, reads it back, and deletes it", async () => {
    const storageId = await api().action(storeText, { text: "from an action", contentType: "text/markdown" });
    expect(await api().action(readText, { storageId })).toEqual({
      text: "from an action",
      type: "text/markdown",
      size: "from an action".length,
    });
    expect(await api().query(metadata, { storageId })).toMatchObject({
      sha256: sha256Base64("from an action"),
      size: "from an action".length,
      contentType: "text/markdown",
    });
    const url = (await api().query(fileUrl, { storageId }))!;
    expect(await (await fetch(url)).text()).toBe("from an action");
    // The deprecated metadata: the URL's uuid as `storageId`, the digest in hex.
    expect(await api().action(legacyMetadata, { storageId })).toEqual({
      storageId: url.split("/").pop(),
      sha256: createHash("sha256").update("from an action").digest("hex"),
      size: "from an action".length,
      contentType: "text/markdown",
    });
    await api().action(removeFromAction, { storageId });
    expect(await api().action(readText, { storageId })).toBeNull();
    expect((await fetch(url)).status).toBe(404);
  });

  test("an action's store checks the sha256 it is given", async () => {
    const text = "checked";
    expect(typeof (await api().action(storeText, { text, sha256: sha256Base64(text) }))).toBe("string");
    await expect(api().action(storeText, { text, sha256: sha256Base64("something else") })).rejects.toThrow(
      /Sha256 mismatch/,
    );
  });

  test("an HTTP action stores a request's body and serves it back by its id", async () => {
    const stored = await fetch(`${fixture.server.siteUrl}/upload`, {
      method: "POST",
      headers: { "content-type": "image/gif" },
      body: new Uint8Array([0x47, 0x49, 0x46]),
    });
    expect(stored.status).toBe(200);
    const { storageId } = (await stored.json()) as { storageId: string };
    expect((await api().query(metadata, { storageId }))?.contentType).toBe("image/gif");
    const served = await fetch(`${fixture.server.siteUrl}/file?storageId=${storageId}`);
    expect(served.headers.get("content-type")).toBe("image/gif");
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(new Uint8Array([0x47, 0x49, 0x46]));
  });
});

describe("on disk", () => {
  test("files live in the data directory (0700, files 0600) and survive a restart", async () => {
    const storageId = await uploaded("kept across a restart", "text/plain");
    const url = (await api().query(fileUrl, { storageId }))!;
    const file = path.join(storageDir(), `${storageId}.${url.split("/").pop()}`);
    expect(statSync(storageDir()).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const before = await api().query(metadata, { storageId });

    await fixture.server.close();
    fixture.server = await fixture.start();
    expect(await api().query(fileUrl, { storageId })).toBe(url);
    expect(await api().query(metadata, { storageId })).toEqual(before);
    const served = await fetch(url);
    expect(served.headers.get("content-type")).toBe("text/plain");
    expect(await served.text()).toBe("kept across a restart");
    expect(await api().action(readText, { storageId })).toMatchObject({ text: "kept across a restart" });

    await api().mutation(remove, { storageId });
    expect((await fetch(url)).status).toBe(404);
    expect(existsSync(file)).toBe(false);
  });

  test("at start, bytes without a row and rows without bytes are removed; the rest is served", async () => {
    const kept = await uploaded("kept", "text/plain");
    const lost = await uploaded("its bytes go missing", "text/plain");
    const keptUrl = (await api().query(fileUrl, { storageId: kept }))!;
    const lostUuid = (await api().query(fileUrl, { storageId: lost }))!.split("/").pop()!;
    await fixture.server.close();
    // What a crash can leave: an upload's bytes whose row was never saved, a half-written upload,
    // and a row whose delete was never saved (its bytes already gone).
    const orphan = path.join(storageDir(), "99999999_storage.00000000-0000-4000-8000-000000000001");
    const partial = path.join(storageDir(), ".upload-00000000-0000-4000-8000-000000000002");
    writeFileSync(orphan, "no row");
    writeFileSync(partial, "half");
    rmSync(path.join(storageDir(), `${lost}.${lostUuid}`));

    fixture.server = await fixture.start();
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(partial)).toBe(false);
    const ids = (await api().query(list, {})).map((row) => row._id);
    expect(ids).toContain(kept);
    expect(ids).not.toContain(lost);
    expect(await api().query(fileUrl, { storageId: lost })).toBeNull();
    expect(await (await fetch(keptUrl)).text()).toBe("kept");
  });

  test("--reset removes the stored files with the database", async () => {
    const storageId = await uploaded("gone after a reset");
    const url = (await api().query(fileUrl, { storageId }))!;
    await fixture.server.close();
    fixture.server = await fixture.start({ reset: true });
    expect(readdirSync(storageDir()).length).toBe(0);
    expect((await fetch(url)).status).toBe(404);
    expect(UUID.test(url.split("/").pop()!)).toBe(true);
  });
});
