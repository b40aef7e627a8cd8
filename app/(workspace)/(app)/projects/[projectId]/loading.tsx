import { ProjectSkeleton } from "./_components/project-page";

export default function ProjectLoading() {
  return <ProjectSkeleton />;
}
