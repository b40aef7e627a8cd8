import type { Metadata } from "next";

import { ProjectsPage } from "./_components/projects-page";

export const metadata: Metadata = { title: "Projects" };

export default function Projects() {
  return <ProjectsPage />;
}
