import { MembersSkeleton } from "./_components/members-page";

export default function MembersLoading() {
  return <MembersSkeleton />;
}
