// Without generated code: the tests push a copy of this project, and the CLI writes its _generated.
import {
  actionGeneric,
  anyApi,
  internalMutationGeneric,
  internalQueryGeneric,
  mutationGeneric,
  queryGeneric,
} from "convex/server";
import { v } from "convex/values";

const noteValidator = v.object({
  _id: v.id("notes"),
  _creationTime: v.number(),
  text: v.string(),
  author: v.optional(v.string()),
});

export const list = queryGeneric({
  args: {},
  returns: v.array(noteValidator),
  handler: async (ctx) => await ctx.db.query("notes").order("asc").take(100),
});

export const greeting = queryGeneric({
  args: { name: v.string() },
  returns: v.string(),
  handler: async (_ctx, { name }) => `Hello, ${name}!`,
});

export const add = mutationGeneric({
  args: { text: v.string() },
  returns: v.id("notes"),
  handler: async (ctx, { text }) => {
    const identity = await ctx.auth.getUserIdentity();
    console.log(`adding note: ${text}`);
    return await ctx.db.insert("notes", { text, ...(identity !== null && { author: identity.subject }) });
  },
});

export const count = internalQueryGeneric({
  args: {},
  returns: v.number(),
  handler: async (ctx) => (await ctx.db.query("notes").take(1000)).length,
});

export const setting = internalQueryGeneric({
  args: { name: v.string() },
  returns: v.union(v.string(), v.null()),
  // eslint-disable-next-line @convex-dev/no-process-env -- reads any variable by name, for the env tests
  handler: async (_ctx, { name }) => process.env[name] ?? null,
});

export const tick = internalMutationGeneric({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    await ctx.db.insert("ticks", { at: Date.now() });
    return null;
  },
});

export const addTwice = actionGeneric({
  args: { text: v.string() },
  returns: v.null(),
  handler: async (ctx, { text }) => {
    await ctx.runMutation(anyApi.notes!.add!, { text });
    await ctx.runMutation(anyApi.notes!.add!, { text });
    return null;
  },
});

export const tickCount = internalQueryGeneric({
  args: {},
  returns: v.number(),
  handler: async (ctx) => (await ctx.db.query("ticks").take(1000)).length,
});

export const whoami = queryGeneric({
  args: {},
  returns: v.union(v.string(), v.null()),
  handler: async (ctx) => (await ctx.auth.getUserIdentity())?.subject ?? null,
});
