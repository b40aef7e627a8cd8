// Resolved at build time by next.config.ts to ./clerk.tsx or ./offline.tsx (see ./types.ts).
import type { AuthAdapter } from "@/lib/auth/types";

export declare const AuthAdapterProvider: AuthAdapter["AuthAdapterProvider"];
export declare const UserMenu: AuthAdapter["UserMenu"];
export declare const OrganizationSwitcher: AuthAdapter["OrganizationSwitcher"];
export declare const SignInPage: AuthAdapter["SignInPage"];
export declare const SignUpPage: AuthAdapter["SignUpPage"];
export declare const SelectOrgPage: AuthAdapter["SelectOrgPage"];
export declare const ManageMembers: AuthAdapter["ManageMembers"];
export declare const ManageMembersPage: AuthAdapter["ManageMembersPage"];
export declare const useAuthState: AuthAdapter["useAuthState"];
