import type { Metadata } from "next";

import { ProjectPage } from "./_components/project-page";

export const metadata: Metadata = { title: "Project board" };

export default async function Project({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return <ProjectPage projectId={projectId} />;
}
