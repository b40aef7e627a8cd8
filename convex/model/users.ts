import { v, type Infer } from "convex/values";
import type { Doc, Id } from "../_generated/dataModel";
import type { DatabaseReader } from "../_generated/server";

/** How another person appears in lists: enough to render a name and an avatar. */
export const personValidator = v.object({
  _id: v.id("users"),
  name: v.string(),
  imageUrl: v.optional(v.string()),
  deleted: v.boolean(),
});
export type Person = Infer<typeof personValidator>;

/** The name to show for a user: their name, else their email, else a neutral placeholder. */
export function displayName(user: Doc<"users">): string {
  if (user.deletedAt !== undefined) return "Deleted user";
  return user.name ?? user.email ?? "Unnamed user";
}

export function toPerson(user: Doc<"users">): Person {
  return {
    _id: user._id,
    name: displayName(user),
    ...(user.deletedAt === undefined && user.imageUrl !== undefined && { imageUrl: user.imageUrl }),
    deleted: user.deletedAt !== undefined,
  };
}

/** Loads a user for display; a missing row (hard-deleted) reads as a deleted user. */
export async function loadPerson(db: DatabaseReader, id: Id<"users">): Promise<Person> {
  const user = await db.get("users", id);
  return user === null ? { _id: id, name: "Deleted user", deleted: true } : toPerson(user);
}
