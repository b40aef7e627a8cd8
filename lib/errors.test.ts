import { ConvexError, type Value } from "convex/values";
import { describe, expect, it } from "vitest";

import { rateLimitedError } from "@/convex/model/errors";

import { describeError } from "./errors";

describe("describeError", () => {
  it("gives a rate-limited write's message as the backend wrote it, for the toast", () => {
    // As the client receives it: the error's data, through JSON.
    const received = new ConvexError(JSON.parse(JSON.stringify(rateLimitedError(20_000).data)) as Value);
    expect(describeError(received)).toEqual({
      code: "RATE_LIMITED",
      message: "You're doing that too often. Try again in 20 seconds.",
    });
  });

  it("says a single second in the singular", () => {
    expect(describeError(rateLimitedError(400)).message).toBe("You're doing that too often. Try again in 1 second.");
  });

  it("gives a generic sentence for a failure that is not the backend's", () => {
    expect(describeError(new Error("boom"))).toEqual({
      code: null,
      message: "Something went wrong. Try again in a moment.",
    });
  });
});
