import { describe, expect, it } from "vitest";

import { formatDay, roleLabel } from "./format";

describe("formatDay", () => {
  const now = new Date(2026, 10, 20, 9, 30).getTime();

  it("says today and yesterday by the calendar, not by 24-hour spans", () => {
    expect(formatDay(new Date(2026, 10, 20, 0, 5).getTime(), now)).toBe("Today");
    expect(formatDay(new Date(2026, 10, 19, 23, 55).getTime(), now)).toBe("Yesterday");
  });

  it("names older days, with the year only when it is not this one", () => {
    expect(formatDay(new Date(2026, 10, 3, 12).getTime(), now)).toBe("Tuesday, November 3");
    expect(formatDay(new Date(2025, 11, 31, 12).getTime(), now)).toBe("December 31, 2025");
  });
});

describe("roleLabel", () => {
  it("reads Clerk's role keys as words", () => {
    expect(roleLabel("org:admin")).toBe("Admin");
    expect(roleLabel("org:billing")).toBe("Billing");
  });
});
