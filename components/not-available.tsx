import { ShieldIcon } from "lucide-react";
import { Link } from "@/components/link";

import { EmptyState } from "@/components/empty-state";
import { Button } from "@/components/ui/button";
import { roleLabel } from "@/lib/format";
import { routes } from "@/lib/routes";

/** A page the caller's role does not open: says so, names the role, and offers a way back. */
export function NotAvailable({ what, who, role }: { what: string; who: string; role: string }) {
  return (
    <div data-testid="not-available">
      <EmptyState
        headingLevel="h1"
        icon={<ShieldIcon aria-hidden className="size-5" />}
        title={`${what} is not available for your role`}
        description={`${who} Your role here is ${roleLabel(role)}; an admin can change it.`}
        action={
          <Button asChild variant="outline">
            <Link href={routes.dashboard}>Back to dashboard</Link>
          </Button>
        }
      />
    </div>
  );
}
