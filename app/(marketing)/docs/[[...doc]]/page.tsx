import { readFile } from "node:fs/promises";
import path from "node:path";

import type { Metadata } from "next";
import { notFound } from "next/navigation";
import Markdown from "react-markdown";
import rehypeSlug from "rehype-slug";
import remarkGfm from "remark-gfm";

import { showsSetupDetails } from "@/setup/config";

export const metadata: Metadata = { title: "README" };
// Rendered once at build time (on every request in development): the README as it was built.
export const dynamic = "force-static";

/**
 * The project's README, so the setup-problem banner can link to the section with the fix without
 * any network. Headings get GitHub's anchors (rehype-slug uses the same slugger). Only where setup
 * details are shown (development, offline builds): a production app's users have no use for it.
 */
export default async function DocsPage() {
  if (!showsSetupDetails()) notFound();
  const source = await readFile(path.join(process.cwd(), "README.md"), "utf8");
  return (
    <article className="readme mx-auto max-w-3xl px-4 py-10 sm:px-6" data-testid="readme">
      <Markdown remarkPlugins={[remarkGfm]} rehypePlugins={[rehypeSlug]}>
        {source}
      </Markdown>
    </article>
  );
}
