import { anyApi, httpActionGeneric, httpRouter } from "convex/server";

const http = httpRouter();

http.route({
  path: "/notes",
  method: "POST",
  handler: httpActionGeneric(async (ctx, request) => {
    const text = await request.text();
    const id: string = await ctx.runMutation(anyApi.notes!.add!, { text });
    return new Response(JSON.stringify({ id }), { status: 201, headers: { "content-type": "application/json" } });
  }),
});

export default http;
