// Written by hand: this component is loaded from disk, never run through `convex codegen`.
import { componentsGeneric, type FunctionReference } from "convex/server";

export const components = componentsGeneric() as unknown as {
  tally: { lib: { record: FunctionReference<"mutation", "internal"> } };
};
