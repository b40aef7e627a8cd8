/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as activity from "../activity.js";
import type * as clerkWebhook from "../clerkWebhook.js";
import type * as crons from "../crons.js";
import type * as dashboard from "../dashboard.js";
import type * as deletions from "../deletions.js";
import type * as functions from "../functions.js";
import type * as http from "../http.js";
import type * as httpApi from "../httpApi.js";
import type * as migrations from "../migrations.js";
import type * as model_activity from "../model/activity.js";
import type * as model_auth_claims from "../model/auth/claims.js";
import type * as model_auth_permissions from "../model/auth/permissions.js";
import type * as model_auth_tenant from "../model/auth/tenant.js";
import type * as model_cascades from "../model/cascades.js";
import type * as model_clerk_events from "../model/clerk/events.js";
import type * as model_clerk_sync from "../model/clerk/sync.js";
import type * as model_clerk_verify from "../model/clerk/verify.js";
import type * as model_counters from "../model/counters.js";
import type * as model_deletions from "../model/deletions.js";
import type * as model_env from "../model/env.js";
import type * as model_errors from "../model/errors.js";
import type * as model_http_body from "../model/http/body.js";
import type * as model_http_json from "../model/http/json.js";
import type * as model_http_openapi from "../model/http/openapi.js";
import type * as model_http_router from "../model/http/router.js";
import type * as model_http_routes from "../model/http/routes.js";
import type * as model_organizations from "../model/organizations.js";
import type * as model_pagination from "../model/pagination.js";
import type * as model_presence from "../model/presence.js";
import type * as model_projects from "../model/projects.js";
import type * as model_rateLimits from "../model/rateLimits.js";
import type * as model_tables from "../model/tables.js";
import type * as model_tasks from "../model/tasks.js";
import type * as model_text from "../model/text.js";
import type * as model_users from "../model/users.js";
import type * as model_validators from "../model/validators.js";
import type * as organizations from "../organizations.js";
import type * as presence from "../presence.js";
import type * as projects from "../projects.js";
import type * as tasks from "../tasks.js";
import type * as users from "../users.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";

declare const fullApi: ApiFromModules<{
  activity: typeof activity;
  clerkWebhook: typeof clerkWebhook;
  crons: typeof crons;
  dashboard: typeof dashboard;
  deletions: typeof deletions;
  functions: typeof functions;
  http: typeof http;
  httpApi: typeof httpApi;
  migrations: typeof migrations;
  "model/activity": typeof model_activity;
  "model/auth/claims": typeof model_auth_claims;
  "model/auth/permissions": typeof model_auth_permissions;
  "model/auth/tenant": typeof model_auth_tenant;
  "model/cascades": typeof model_cascades;
  "model/clerk/events": typeof model_clerk_events;
  "model/clerk/sync": typeof model_clerk_sync;
  "model/clerk/verify": typeof model_clerk_verify;
  "model/counters": typeof model_counters;
  "model/deletions": typeof model_deletions;
  "model/env": typeof model_env;
  "model/errors": typeof model_errors;
  "model/http/body": typeof model_http_body;
  "model/http/json": typeof model_http_json;
  "model/http/openapi": typeof model_http_openapi;
  "model/http/router": typeof model_http_router;
  "model/http/routes": typeof model_http_routes;
  "model/organizations": typeof model_organizations;
  "model/pagination": typeof model_pagination;
  "model/presence": typeof model_presence;
  "model/projects": typeof model_projects;
  "model/rateLimits": typeof model_rateLimits;
  "model/tables": typeof model_tables;
  "model/tasks": typeof model_tasks;
  "model/text": typeof model_text;
  "model/users": typeof model_users;
  "model/validators": typeof model_validators;
  organizations: typeof organizations;
  presence: typeof presence;
  projects: typeof projects;
  tasks: typeof tasks;
  users: typeof users;
}>;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;

export declare const components: {
  rateLimiter: import("@convex-dev/rate-limiter/_generated/component.js").ComponentApi<"rateLimiter">;
  shardedCounter: import("@convex-dev/sharded-counter/_generated/component.js").ComponentApi<"shardedCounter">;
  workpool: import("@convex-dev/workpool/_generated/component.js").ComponentApi<"workpool">;
  migrations: import("@convex-dev/migrations/_generated/component.js").ComponentApi<"migrations">;
  presence: import("@convex-dev/presence/_generated/component.js").ComponentApi<"presence">;
};
