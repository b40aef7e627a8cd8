import type { Metadata } from "next";

import { SignInPage } from "@/components/auth/adapter";
import { REDIRECT_PARAM, safeRedirectPath } from "@/lib/routes";
import { firstParam, type SearchParams } from "@/lib/search-params";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignIn({ searchParams }: { searchParams: SearchParams }) {
  const redirectUrl = safeRedirectPath(firstParam((await searchParams)[REDIRECT_PARAM]));
  return <SignInPage redirectUrl={redirectUrl} />;
}
