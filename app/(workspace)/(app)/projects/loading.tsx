import { ProjectsSkeleton } from "./_components/projects-page";

export default function ProjectsLoading() {
  return <ProjectsSkeleton />;
}
