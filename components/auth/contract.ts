// Type-level only: both modes must implement the same contracts (nothing here reaches a bundle).
import type * as clerk from "./clerk";
import type * as clerkServer from "@/lib/auth/clerk-server";
import type * as offline from "./offline";
import type * as offlineServer from "@/lib/auth/offline-server";
import type { AuthAdapter, AuthServer } from "@/lib/auth/types";

type Implements<Contract, Module extends Contract> = Module;

export type ClerkAdapterContract = Implements<AuthAdapter, typeof clerk>;
export type OfflineAdapterContract = Implements<AuthAdapter, typeof offline>;
export type ClerkServerContract = Implements<AuthServer, typeof clerkServer>;
export type OfflineServerContract = Implements<AuthServer, typeof offlineServer>;
