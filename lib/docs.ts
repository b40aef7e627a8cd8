/**
 * The project's documents, as the app serves them at /docs (README.md at /docs, docs/<name>.md at
 * /docs/<name>) so setup-problem banners can link to the section with the fix without any network.
 */

/** The documents under docs/, by the name they are served under. */
export const DOC_NAMES = ["architecture", "http-api", "going-live", "development"] as const;
export type DocName = (typeof DOC_NAMES)[number];

export function isDocName(value: string): value is DocName {
  return (DOC_NAMES as readonly string[]).includes(value);
}

/** The file behind a /docs path segment list: README.md for none, docs/<name>.md for one; null otherwise. */
export function docFile(segments: readonly string[] | undefined): string | null {
  if (segments === undefined || segments.length === 0) return "README.md";
  const [name] = segments;
  return segments.length === 1 && name !== undefined && isDocName(name) ? `docs/${name}.md` : null;
}

/**
 * Where a link in a document goes when it is served in the app: links between the documents
 * (`docs/going-live.md#step`, `./http-api.md`, `../README.md`) become their /docs pages; anything
 * else is left as written.
 */
export function docHref(href: string, from: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith("#") || href.startsWith("/")) return href;
  const [target = "", hash] = href.split("#", 2);
  const base = from.includes("/") ? from.slice(0, from.lastIndexOf("/") + 1) : "";
  const resolved = new URL(target, `file:///${base}`).pathname.slice(1);
  const suffix = hash === undefined ? "" : `#${hash}`;
  if (resolved === "README.md") return `/docs${suffix}`;
  const match = /^docs\/([a-z-]+)\.md$/.exec(resolved);
  return match?.[1] !== undefined && isDocName(match[1]) ? `/docs/${match[1]}${suffix}` : href;
}
