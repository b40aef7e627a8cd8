import { describe, expect, it } from "vitest";

import { DOC_NAMES, docFile, docHref } from "./docs";

describe("docFile", () => {
  it("serves the README at /docs and docs/<name>.md at /docs/<name>, nothing else", () => {
    expect(docFile(undefined)).toBe("README.md");
    expect(docFile([])).toBe("README.md");
    for (const name of DOC_NAMES) expect(docFile([name])).toBe(`docs/${name}.md`);
    expect(docFile(["..", "package.json"])).toBeNull();
    expect(docFile(["../package"])).toBeNull();
    expect(docFile(["secrets"])).toBeNull();
  });
});

describe("docHref", () => {
  it("keeps links between the documents inside the app", () => {
    expect(docHref("docs/going-live.md#production", "README.md")).toBe("/docs/going-live#production");
    expect(docHref("./http-api.md", "docs/going-live.md")).toBe("/docs/http-api");
    expect(docHref("../README.md#the-map", "docs/development.md")).toBe("/docs#the-map");
    expect(docHref("going-live.md", "docs/architecture.md")).toBe("/docs/going-live");
  });

  it("leaves other links as written", () => {
    expect(docHref("https://clerk.com/docs", "README.md")).toBe("https://clerk.com/docs");
    expect(docHref("#troubleshooting", "docs/going-live.md")).toBe("#troubleshooting");
    expect(docHref("packages/clerk-local/README.md", "README.md")).toBe("packages/clerk-local/README.md");
    expect(docHref("/dashboard", "README.md")).toBe("/dashboard");
  });
});

describe("the documents' own links", () => {
  it("point at files and headings that exist", async () => {
    const { readFileSync, existsSync } = await import("node:fs");
    const { default: GithubSlugger } = await import("github-slugger");
    const anchorsOf = (file: string) => {
      const slugger = new GithubSlugger();
      return readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => /^#{1,6} /.test(line))
        .map((line) => slugger.slug(line.replace(/^#+ /, "")));
    };
    const broken: string[] = [];
    for (const file of ["README.md", ...DOC_NAMES.map((name) => `docs/${name}.md`)]) {
      const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
      for (const [, href = ""] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(href)) continue;
        const [target = "", anchor] = href.split("#", 2);
        const base = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
        const resolved = target === "" ? file : new URL(target, `file:///${base}`).pathname.slice(1);
        if (!existsSync(resolved)) broken.push(`${file}: ${href} (no file ${resolved})`);
        else if (anchor !== undefined && resolved.endsWith(".md") && !anchorsOf(resolved).includes(anchor)) {
          broken.push(`${file}: ${href} (no heading #${anchor} in ${resolved})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
