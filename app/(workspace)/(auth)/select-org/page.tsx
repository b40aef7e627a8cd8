import type { Metadata } from "next";

import { SelectOrgPage } from "@/components/auth/adapter";
import { REDIRECT_PARAM, routes, safeRedirectPath } from "@/lib/routes";
import { firstParam, type SearchParams } from "@/lib/search-params";

export const metadata: Metadata = { title: "Choose an organization" };

export default async function SelectOrg({ searchParams }: { searchParams: SearchParams }) {
  const redirectUrl = safeRedirectPath(firstParam((await searchParams)[REDIRECT_PARAM]), routes.dashboard, {
    from: "select-org",
  });
  return <SelectOrgPage redirectUrl={redirectUrl} />;
}
