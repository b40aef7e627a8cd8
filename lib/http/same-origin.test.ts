// @vitest-environment node
import { describe, expect, it } from "vitest";
import { crossSiteRefusal, refuseCrossSite } from "./same-origin";

const APP = "http://localhost:3000";

function request(method: string, headers: Record<string, string> = {}, body?: string) {
  return new Request(`${APP}/api/projects`, { method, headers, ...(body !== undefined && { body }) });
}

const json = { "content-type": "application/json" };

describe("crossSiteRefusal", () => {
  it.each(["GET", "HEAD", "OPTIONS"])("lets %s through from anywhere: it must not change state", (method) => {
    expect(
      crossSiteRefusal(request(method, { origin: "https://evil.example", "sec-fetch-site": "cross-site" })),
    ).toBeNull();
  });

  describe.each(["POST", "PUT", "PATCH", "DELETE"])("%s", (method) => {
    it("accepts the app's own pages (Sec-Fetch-Site: same-origin)", () => {
      expect(crossSiteRefusal(request(method, { ...json, "sec-fetch-site": "same-origin", origin: APP }))).toBeNull();
    });

    it.each(["same-site", "cross-site", "none", "bogus"])("refuses Sec-Fetch-Site: %s, naming it", (site) => {
      expect(crossSiteRefusal(request(method, { ...json, "sec-fetch-site": site, origin: APP }))).toEqual({
        status: 403,
        code: "FORBIDDEN",
        message: expect.stringContaining(`Sec-Fetch-Site is "${site}"`),
      });
    });

    it("refuses a page on another port of the same host (no Sec-Fetch-Site, as older browsers send)", () => {
      expect(crossSiteRefusal(request(method, { ...json, origin: "http://localhost:3001" }))).toEqual({
        status: 403,
        code: "FORBIDDEN",
        message: expect.stringContaining('Origin "http://localhost:3001" is not this app (localhost:3000)'),
      });
    });

    it.each(["http://localhost", "http://127.0.0.1:3000", "null", "not a url"])("refuses Origin %s", (origin) => {
      expect(crossSiteRefusal(request(method, { ...json, origin }))).toMatchObject({ status: 403, code: "FORBIDDEN" });
    });

    it("accepts an Origin naming the Host header, or the host a proxy forwarded", () => {
      expect(crossSiteRefusal(request(method, { ...json, origin: APP }))).toBeNull();
      expect(
        crossSiteRefusal(request(method, { ...json, origin: "HTTPS://App.Example", host: "app.example:443" })),
      ).toBeNull();
      expect(
        crossSiteRefusal(
          request(method, {
            ...json,
            origin: "https://app.example",
            host: "10.0.0.5:3000",
            "x-forwarded-host": "app.example",
          }),
        ),
      ).toBeNull();
      expect(
        crossSiteRefusal(
          request(method, { ...json, origin: "http://localhost:3000", "x-forwarded-host": "app.example" }),
        ),
      ).toMatchObject({ status: 403 });
    });

    it("accepts a caller that is not a browser (neither Origin nor Sec-Fetch-Site)", () => {
      expect(crossSiteRefusal(request(method, json, '{"name":"x"}'))).toBeNull();
      expect(crossSiteRefusal(request(method))).toBeNull();
    });

    it.each([
      ["text/plain", '{"name":"x"}'],
      ["text/plain;charset=UTF-8", '{"name":"x"}'],
      ["application/x-www-form-urlencoded", "name=x"],
      ["multipart/form-data; boundary=x", "--x--"],
      ["application/x-www-form-urlencoded", undefined],
      ["text/plain", undefined],
    ])("refuses a %s body (415), even from the app's own pages", (type, body) => {
      expect(
        crossSiteRefusal(request(method, { "content-type": type, "sec-fetch-site": "same-origin" }, body)),
      ).toEqual({
        status: 415,
        code: "UNSUPPORTED_MEDIA_TYPE",
        message: `Send the body as JSON with Content-Type: application/json (got "${type}").`,
      });
    });

    it("refuses a body that declares no type", () => {
      const untyped = new Request(`${APP}/api/projects`, {
        method,
        headers: { "sec-fetch-site": "same-origin", "content-length": "12" },
      });
      expect(crossSiteRefusal(untyped)).toMatchObject({ status: 415, message: expect.stringContaining("(got none)") });
    });

    it("accepts JSON media types, and no type without a body unless the handler needs one", () => {
      for (const type of ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"]) {
        expect(
          crossSiteRefusal(request(method, { "content-type": type, "sec-fetch-site": "same-origin" }, "{}")),
        ).toBeNull();
      }
      const bodyless = request(method, { "sec-fetch-site": "same-origin" });
      expect(crossSiteRefusal(bodyless)).toBeNull();
      expect(crossSiteRefusal(bodyless, { requireJson: true })).toMatchObject({ status: 415 });
    });
  });
});

describe("refuseCrossSite", () => {
  it("answers with the app's error body and status", async () => {
    const response = refuseCrossSite(request("POST", { ...json, "sec-fetch-site": "same-site" }))!;
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: { code: "FORBIDDEN", message: expect.stringContaining('Sec-Fetch-Site is "same-site"') },
    });
    expect(refuseCrossSite(request("POST", { ...json, "sec-fetch-site": "same-origin" }))).toBeNull();
  });
});
