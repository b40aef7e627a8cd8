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

describe("the documents' tables", () => {
  /** Rows of the first Markdown table after `heading` (a line it starts with): cells, trimmed. */
  async function table(file: string, after: string): Promise<string[][]> {
    const { readFileSync } = await import("node:fs");
    const lines = readFileSync(file, "utf8").split("\n");
    const start = lines.findIndex((line) => line.includes(after));
    if (start === -1) throw new Error(`${file}: "${after}" not found`);
    const rows: string[][] = [];
    for (const line of lines.slice(start + 1)) {
      const cells = line.trim();
      if (!cells.startsWith("|")) {
        if (rows.length > 0) break;
        continue;
      }
      rows.push(
        cells
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((cell) => cell.trim()),
      );
    }
    return rows.slice(2);
  }

  it("list each role's permissions as convex/model/auth/permissions.ts does", async () => {
    const { PERMISSIONS, ROLES, ROLE_PERMISSIONS } = await import("@/convex/model/auth/permissions");
    for (const [file, after, yes] of [
      ["docs/architecture.md", "Code checks permissions, never role names", "yes"],
      ["docs/going-live.md", "Give each role its permissions", "✓"],
    ] as const) {
      const rows = await table(file, after);
      expect(rows.map((row) => row[0])).toEqual(ROLES.map((role) => `\`${role}\``));
      for (const [i, role] of ROLES.entries()) {
        const granted = PERMISSIONS.filter((_, j) => rows[i]![j + 1] === yes);
        expect(granted, `${file}: ${role}`).toEqual([...ROLE_PERMISSIONS[role]]);
      }
    }
  });

  it("give every error code of the HTTP API its status as the router answers it", async () => {
    const { STATUS_OF_CODE } = await import("@/convex/model/http/router");
    const rows = await table("docs/http-api.md", "Every refusal is");
    const documented = Object.fromEntries(rows.map((row) => [row[1]!.replaceAll("`", ""), Number(row[0])]));
    expect(documented).toEqual({ ...STATUS_OF_CODE });
  });
});
