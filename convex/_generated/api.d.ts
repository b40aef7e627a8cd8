/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as activity from "../activity.js";
import type * as clerkWebhook from "../clerkWebhook.js";
import type * as crons from "../crons.js";
import type * as dashboard from "../dashboard.js";
import type * as functions from "../functions.js";
import type * as http from "../http.js";
import type * as httpApi from "../httpApi.js";
import type * as model_activity from "../model/activity.js";
import type * as model_claims from "../model/claims.js";
import type * as model_clerkEvents from "../model/clerkEvents.js";
import type * as model_clerkSync from "../model/clerkSync.js";
import type * as model_counters from "../model/counters.js";
import type * as model_env from "../model/env.js";
import type * as model_errors from "../model/errors.js";
import type * as model_httpApi from "../model/httpApi.js";
import type * as model_httpApiJson from "../model/httpApiJson.js";
import type * as model_httpApiOpenApi from "../model/httpApiOpenApi.js";
import type * as model_httpApiRoutes from "../model/httpApiRoutes.js";
import type * as model_httpBody from "../model/httpBody.js";
import type * as model_organizations from "../model/organizations.js";
import type * as model_pagination from "../model/pagination.js";
import type * as model_permissions from "../model/permissions.js";
import type * as model_projects from "../model/projects.js";
import type * as model_tasks from "../model/tasks.js";
import type * as model_tenant from "../model/tenant.js";
import type * as model_text from "../model/text.js";
import type * as model_users from "../model/users.js";
import type * as model_validators from "../model/validators.js";
import type * as model_webhookVerify from "../model/webhookVerify.js";
import type * as organizations from "../organizations.js";
import type * as projects from "../projects.js";
import type * as tasks from "../tasks.js";
import type * as users from "../users.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  activity: typeof activity;
  clerkWebhook: typeof clerkWebhook;
  crons: typeof crons;
  dashboard: typeof dashboard;
  functions: typeof functions;
  http: typeof http;
  httpApi: typeof httpApi;
  "model/activity": typeof model_activity;
  "model/claims": typeof model_claims;
  "model/clerkEvents": typeof model_clerkEvents;
  "model/clerkSync": typeof model_clerkSync;
  "model/counters": typeof model_counters;
  "model/env": typeof model_env;
  "model/errors": typeof model_errors;
  "model/httpApi": typeof model_httpApi;
  "model/httpApiJson": typeof model_httpApiJson;
  "model/httpApiOpenApi": typeof model_httpApiOpenApi;
  "model/httpApiRoutes": typeof model_httpApiRoutes;
  "model/httpBody": typeof model_httpBody;
  "model/organizations": typeof model_organizations;
  "model/pagination": typeof model_pagination;
  "model/permissions": typeof model_permissions;
  "model/projects": typeof model_projects;
  "model/tasks": typeof model_tasks;
  "model/tenant": typeof model_tenant;
  "model/text": typeof model_text;
  "model/users": typeof model_users;
  "model/validators": typeof model_validators;
  "model/webhookVerify": typeof model_webhookVerify;
  organizations: typeof organizations;
  projects: typeof projects;
  tasks: typeof tasks;
  users: typeof users;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;
