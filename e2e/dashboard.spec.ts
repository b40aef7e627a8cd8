import { expect, test } from "@playwright/test";
import { DEMO, signedInPage, unique } from "./support";

test("the dashboard's counters change live when another member changes a task", async ({ browser }) => {
  const watcher = await signedInPage(browser, DEMO.alice.email, "/dashboard");
  const worker = await signedInPage(browser, DEMO.ben.email, "/projects");
  const todo = watcher.getByTestId("count-todo");
  const inProgress = watcher.getByTestId("count-in_progress");
  await expect(todo).toHaveText(/^\d+$/);
  const before = { todo: Number(await todo.textContent()), inProgress: Number(await inProgress.textContent()) };

  await worker.getByRole("link", { name: "Website relaunch" }).click();
  const title = unique("Check the links");
  await worker.getByTestId("add-task-todo").click();
  await worker.getByLabel("Title").fill(title);
  await worker.getByTestId("task-submit").click();
  await expect(todo).toHaveText(String(before.todo + 1));

  await worker.getByRole("button", { name: `Actions for task ${title}` }).click();
  await worker.getByRole("menuitem", { name: /To next column/ }).click();
  await expect(todo).toHaveText(String(before.todo));
  await expect(inProgress).toHaveText(String(before.inProgress + 1));
});
