import { httpRouter } from "convex/server";
import { handle, methodNotAllowed } from "./clerkWebhook";

const http = httpRouter();

http.route({ path: "/webhooks/clerk", method: "POST", handler: handle });
for (const method of ["GET", "PUT", "PATCH", "DELETE"] as const) {
  http.route({ path: "/webhooks/clerk", method, handler: methodNotAllowed });
}

export default http;
