/**
 * The OpenAPI 3.1 document of the HTTP API, built from the same route table the router answers
 * from: paths, parameters, bodies (the public functions' argument validators), responses (their
 * return validators) and the bearer security scheme.
 */
import type { GenericValidator } from "convex/values";
import { MAX_PAGE_SIZE } from "../pagination";
import { jsonSchemaOf, type JsonSchema } from "./json";
import { DEFAULT_PAGE_SIZE, MAX_BODY_BYTES, STATUS_OF_CODE, type ApiErrorCode, type Route } from "./router";

type Operation = Record<string, unknown>;

type ErrorResponse = { name: string; description: string; headers?: Record<string, unknown> };

const ERROR_RESPONSES: Partial<Record<ApiErrorCode, ErrorResponse>> = {
  INVALID: { name: "Invalid", description: "Invalid parameters or body; `error.message` says which and why." },
  UNAUTHENTICATED: { name: "Unauthenticated", description: "No bearer token, or one that is invalid or expired." },
  FORBIDDEN: {
    name: "Forbidden",
    description:
      "The token has no active organization, or the caller's role lacks the permission. The answer does not " +
      "depend on the id in the path.",
  },
  NOT_FOUND: {
    name: "NotFound",
    description: "No such record in the caller's organization (also for malformed ids and other organizations' ids).",
  },
  CONFLICT: { name: "Conflict", description: "The record cannot change in its current state (an archived project)." },
  PAYLOAD_TOO_LARGE: { name: "PayloadTooLarge", description: `The body is larger than ${MAX_BODY_BYTES} bytes.` },
  UNSUPPORTED_MEDIA_TYPE: { name: "UnsupportedMediaType", description: "The body is not sent as application/json." },
  RATE_LIMITED: {
    name: "RateLimited",
    description:
      "Too many requests with this token (its session) or for its organization, or too many writes by the caller; " +
      "nothing was done. Wait `Retry-After` seconds before trying again. The limits are the deployment's " +
      "(RATE_LIMIT_API_PER_TOKEN, RATE_LIMIT_API_PER_ORG, RATE_LIMIT_WRITES_PER_USER).",
    headers: {
      "Retry-After": {
        description: "Whole seconds (rounded up) until the request can succeed.",
        required: true,
        schema: { type: "integer", minimum: 1 },
      },
    },
  },
};

/** The error statuses a route can answer, by what it takes and does. */
export function errorCodesOf(route: Route): ApiErrorCode[] {
  const codes: ApiErrorCode[] = ["INVALID"];
  if (route.public !== true) codes.push("UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED");
  if (route.params !== undefined) codes.push("NOT_FOUND");
  if (route.conflicts === true) codes.push("CONFLICT");
  if (route.body !== undefined) codes.push("PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE");
  return codes;
}

function withDocs(schema: JsonSchema, docs: Record<string, string> = {}): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (properties === undefined) return schema;
  return {
    ...schema,
    properties: Object.fromEntries(
      Object.entries(properties).map(([key, value]) => [
        key,
        docs[key] === undefined ? value : { ...value, description: docs[key] },
      ]),
    ),
  };
}

function parametersOf(route: Route): Operation[] {
  const parameters: Operation[] = [];
  for (const [name, table] of Object.entries((route.params ?? {}) as Record<string, string>)) {
    parameters.push({
      name,
      in: "path",
      required: true,
      description: `Id of the ${table === "projects" ? "project" : "task"}. Malformed, unknown and other organizations' ids all answer 404.`,
      schema: { type: "string" },
    });
  }
  const filters = (route.query?.fields ?? {}) as Record<string, GenericValidator>;
  for (const [name, validator] of Object.entries(filters)) {
    parameters.push({
      name,
      in: "query",
      required: false,
      ...(route.fieldDocs?.[name] !== undefined && { description: route.fieldDocs[name] }),
      schema: jsonSchemaOf(validator),
    });
  }
  if (route.paginated === true) {
    parameters.push(
      {
        name: "limit",
        in: "query",
        required: false,
        description: `Rows per page, 1 to ${MAX_PAGE_SIZE}. A page may hold fewer; only a null \`nextCursor\` means the end.`,
        schema: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
      },
      {
        name: "cursor",
        in: "query",
        required: false,
        description: "The `nextCursor` of the previous page of the same list; leave out for the first page.",
        schema: { type: "string" },
      },
    );
  }
  return parameters;
}

function successOf(route: Route): Operation {
  const { status, description, schema } = route.success;
  if (status === 204) return { description };
  let body: JsonSchema = { type: "object" };
  if (schema !== undefined) {
    const ref = { $ref: `#/components/schemas/${schema.name}` };
    body =
      route.paginated === true
        ? {
            type: "object",
            properties: {
              data: { type: "array", items: ref },
              nextCursor: {
                anyOf: [{ type: "string" }, { type: "null" }],
                description: "Pass as `cursor` for the next page; null at the end.",
              },
            },
            required: ["data", "nextCursor"],
            additionalProperties: false,
          }
        : ref;
  }
  return {
    description,
    ...(status === 201 && {
      headers: { Location: { description: "The new record's path.", schema: { type: "string" } } },
    }),
    content: { "application/json": { schema: body } },
  };
}

function operationOf(route: Route): Operation {
  const description = [
    route.description,
    route.permission === undefined ? undefined : `Requires the \`${route.permission}\` permission.`,
  ]
    .filter((line) => line !== undefined)
    .join(" ");
  const responses: Record<string, unknown> = { [String(route.success.status)]: successOf(route) };
  for (const code of errorCodesOf(route)) {
    responses[String(STATUS_OF_CODE[code])] = { $ref: `#/components/responses/${ERROR_RESPONSES[code]!.name}` };
  }
  const parameters = parametersOf(route);
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(description !== "" && { description }),
    tags: [route.tag],
    ...(route.public === true && { security: [] }),
    ...(parameters.length > 0 && { parameters }),
    ...(route.body !== undefined && {
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: withDocs(jsonSchemaOf(route.body), route.fieldDocs),
            ...(route.bodyExample !== undefined && { example: route.bodyExample }),
          },
        },
      },
    }),
    responses,
  };
}

/** The OpenAPI 3.1 document for `routes`; `serverUrl` may be relative to where the document is served. */
export function buildOpenApi(routes: readonly Route[], serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  const schemas: Record<string, JsonSchema> = {
    Error: {
      type: "object",
      properties: {
        error: {
          type: "object",
          properties: {
            code: { enum: Object.keys(STATUS_OF_CODE) },
            message: { type: "string", description: "A sentence a person can act on." },
          },
          required: ["code", "message"],
          additionalProperties: false,
        },
      },
      required: ["error"],
      additionalProperties: false,
    },
  };
  for (const route of routes) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operationOf(route);
    if (route.success.schema !== undefined)
      schemas[route.success.schema.name] = jsonSchemaOf(route.success.schema.validator);
  }
  const responses = Object.fromEntries(
    Object.values(ERROR_RESPONSES).map(({ name, description, headers }) => [
      name,
      {
        description,
        ...(headers !== undefined && { headers }),
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      },
    ]),
  );
  return {
    openapi: "3.1.0",
    info: {
      title: "Workspace API",
      version: "1.0.0",
      description:
        "Projects, tasks and the activity feed of the caller's active Clerk organization, with the same rules as " +
        "the web app. Authenticate with the Clerk session token the web app sends to Convex: " +
        '`Authorization: Bearer <token>`. Errors are `{ "error": { "code", "message" } }`. Requests are limited ' +
        "per token and per organization, and writes per user: past a limit the answer is 429 with `Retry-After`.",
    },
    servers: [{ url: serverUrl }],
    security: [{ bearerAuth: [] }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "A Clerk session token (or the `convex` JWT template) for this deployment's Clerk instance.",
        },
      },
      schemas,
      responses,
    },
  };
}
