import { httpRouter, ROUTABLE_HTTP_METHODS } from "convex/server";
import { handle, methodNotAllowed } from "./clerkWebhook";
import { handle as handleApi } from "./httpApi";
import { API_PREFIX } from "./model/http/router";

const http = httpRouter();

http.route({ path: "/webhooks/clerk", method: "POST", handler: handle });
for (const method of ["GET", "PUT", "PATCH", "DELETE"] as const) {
  http.route({ path: "/webhooks/clerk", method, handler: methodNotAllowed });
}

// The HTTP API routes by itself (model/http/routes.ts), so it answers 404 and 405 in its own format.
for (const method of ROUTABLE_HTTP_METHODS) {
  http.route({ pathPrefix: `${API_PREFIX}/`, method, handler: handleApi });
}

export default http;
