import { expect, test, type Page } from "@playwright/test";
import { DEMO, signedInPage } from "./support";

/**
 * Calls a Convex mutation with the page's own ConvexReactClient (found through React's fiber tree
 * from the DOM, as someone with the browser's devtools could), bypassing the UI's role checks.
 * Resolves with what the client reports: the value, or the error's message and ConvexError data.
 */
async function forceMutation(page: Page, name: string, args: Record<string, unknown>) {
  return await page.evaluate(
    async ({ name, args }) => {
      type Fiber = { return: Fiber | null; memoizedProps?: { client?: { mutation?: unknown } } };
      const root = document.querySelector("main") ?? document.body;
      const key = Object.keys(root).find((k) => k.startsWith("__reactFiber$"));
      if (!key) throw new Error("no React fiber on the page");
      let fiber = (root as unknown as Record<string, Fiber>)[key] ?? null;
      while (fiber && typeof fiber.memoizedProps?.client?.mutation !== "function") fiber = fiber.return;
      if (!fiber) throw new Error("no ConvexProvider above <main>");
      const client = fiber.memoizedProps!.client as {
        mutation: (name: string, args: Record<string, unknown>) => Promise<unknown>;
      };
      try {
        return { ok: true as const, value: await client.mutation(name, args) };
      } catch (error) {
        const e = error as Error & { data?: { code?: string; message?: string } };
        return { ok: false as const, message: e.message, data: e.data };
      }
    },
    { name, args },
  );
}

test("a viewer sees no write controls, and a write forced through the client is refused with a message", async ({
  browser,
}) => {
  const viewer = await signedInPage(browser, DEMO.chloe.email, "/projects");
  await expect(viewer.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(viewer.getByRole("link", { name: "Website relaunch" })).toBeVisible();
  await expect(viewer.getByTestId("create-project")).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: /Actions for project/ })).toHaveCount(0);

  await viewer.getByRole("link", { name: "Website relaunch" }).click();
  const todo = viewer.getByTestId("board-column-todo");
  await expect(todo.getByRole("article").first()).toBeVisible();
  await expect(viewer.getByRole("button", { name: /^Add task/ })).toHaveCount(0);
  await expect(viewer.getByTestId("task-drag-handle")).toHaveCount(0);
  // The card's menu only offers to view it.
  const title = (await todo.getByTestId("task-title").first().textContent())!;
  await viewer.getByRole("button", { name: `Actions for task ${title}` }).click();
  await expect(viewer.getByRole("menuitem", { name: "View details" })).toBeVisible();
  await expect(viewer.getByRole("menuitem", { name: /Delete|To next column|Up|Down/ })).toHaveCount(0);
  await viewer.keyboard.press("Escape");

  const projectId = new URL(viewer.url()).pathname.split("/").pop()!;
  const forced = await forceMutation(viewer, "tasks:create", { projectId, title: "Written by a viewer" });
  expect(forced.ok).toBe(false);
  expect(forced).toMatchObject({ data: { code: "FORBIDDEN" } });
  expect(forced.ok === false && forced.data?.message).toMatch(/permission|not allowed|cannot/i);
  // Nothing was written: the board does not show it.
  await expect(viewer.getByRole("article", { name: "Written by a viewer" })).toHaveCount(0);
});
