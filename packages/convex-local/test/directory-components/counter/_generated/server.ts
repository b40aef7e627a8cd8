// The builders, untyped: this functions directory is loaded from disk, never run through `convex codegen`.
export { mutationGeneric as mutation, queryGeneric as query } from "convex/server";
