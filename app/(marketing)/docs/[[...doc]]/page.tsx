import { readFile } from "node:fs/promises";
import path from "node:path";

import type { Metadata } from "next";
import { notFound } from "next/navigation";
import Markdown, { defaultUrlTransform } from "react-markdown";
import rehypeSlug from "rehype-slug";
import remarkGfm from "remark-gfm";

import { DOC_NAMES, docFile, docHref } from "@/lib/docs";
import { showsSetupDetails } from "@/setup/config";

type Params = { params: Promise<{ doc?: string[] }> };

export const metadata: Metadata = { title: "Documentation" };
// Rendered once at build time (on every request in development): the documents as they were built.
export const dynamic = "force-static";
export const dynamicParams = false;

export function generateStaticParams() {
  return [{ doc: [] }, ...DOC_NAMES.map((name) => ({ doc: [name] }))];
}

/**
 * The project's README and docs/, so the setup-problem banner can link to the section with the fix
 * without any network. Headings get GitHub's anchors (rehype-slug uses the same slugger); links
 * between the documents stay in the app. Only where setup details are shown (development, offline
 * builds): a production app's users have no use for it.
 */
export default async function DocsPage({ params }: Params) {
  if (!showsSetupDetails()) notFound();
  const file = docFile((await params).doc);
  if (file === null) notFound();
  const source = await readFile(path.join(process.cwd(), file), "utf8");
  return (
    <article className="readme mx-auto max-w-3xl px-4 py-10 sm:px-6" data-testid="readme">
      <Markdown
        remarkPlugins={[remarkGfm]}
        rehypePlugins={[rehypeSlug]}
        urlTransform={(url) => defaultUrlTransform(docHref(url, file))}
      >
        {source}
      </Markdown>
    </article>
  );
}
