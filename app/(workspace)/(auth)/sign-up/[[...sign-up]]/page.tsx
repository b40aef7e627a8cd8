import type { Metadata } from "next";

import { SignUpPage } from "@/components/auth/adapter";
import { REDIRECT_PARAM, safeRedirectPath } from "@/lib/routes";
import { firstParam, type SearchParams } from "@/lib/search-params";

export const metadata: Metadata = { title: "Create an account" };

export default async function SignUp({ searchParams }: { searchParams: SearchParams }) {
  const redirectUrl = safeRedirectPath(firstParam((await searchParams)[REDIRECT_PARAM]));
  return <SignUpPage redirectUrl={redirectUrl} />;
}
