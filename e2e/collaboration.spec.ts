import { expect, test, type Page } from "@playwright/test";
import { DEMO, expectNoReload, markNoReload, signedInPage, unique } from "./support";

const column = (page: Page, status: "todo" | "in_progress" | "done") => page.getByTestId(`board-column-${status}`);
const card = (page: Page, status: "todo" | "in_progress" | "done", title: string) =>
  column(page, status).getByRole("article", { name: title });

test("admin and member: a new project and task appear for the member live; the member's moves reach the admin, the admin's deletion the member", async ({
  browser,
}) => {
  const admin = await signedInPage(browser, DEMO.alice.email, "/projects");
  const member = await signedInPage(browser, DEMO.ben.email, "/projects");
  await expect(member.getByRole("heading", { level: 1 })).toBeVisible();
  await markNoReload(member);

  const project = unique("Launch plan");
  await admin.getByTestId("create-project").click();
  await admin.getByLabel("Name").fill(project);
  await admin.getByTestId("project-name-submit").click();
  await expect(member.getByRole("link", { name: project })).toBeVisible();
  await expectNoReload(member);

  // Creating a project opens it for its creator.
  await expect(admin.getByRole("heading", { level: 1, name: project })).toBeVisible();
  await member.getByRole("link", { name: project }).click();
  await expect(column(member, "todo")).toBeVisible();
  await markNoReload(member);

  const title = unique("Write the announcement");
  await admin.getByTestId("add-task-todo").click();
  await admin.getByLabel("Title").fill(title);
  await admin.getByTestId("task-submit").click();
  await expect(card(member, "todo", title)).toBeVisible();
  await expectNoReload(member);

  await markNoReload(admin);
  await member.getByRole("button", { name: `Actions for task ${title}` }).click();
  await member.getByRole("menuitem", { name: /To next column/ }).click();
  await expect(card(admin, "in_progress", title)).toBeVisible();
  await expect(card(admin, "todo", title)).toHaveCount(0);
  await expectNoReload(admin);

  // The keyboard moves it on, too: Alt+→ on the focused card.
  await card(member, "in_progress", title).getByTestId("task-title").focus();
  await member.keyboard.press("Alt+ArrowRight");
  await expect(card(admin, "done", title)).toBeVisible();

  // Deleting asks first (its dialog loads on first use); the card leaves the member's board.
  await admin.getByRole("button", { name: `Actions for task ${title}` }).click();
  await admin.getByRole("menuitem", { name: /Delete/ }).click();
  const confirm = admin.getByRole("alertdialog", { name: `Delete “${title}”?` });
  await expect(confirm).toBeVisible();
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(confirm).toBeHidden();
  await expect(card(admin, "done", title)).toBeVisible();
  await admin.getByRole("button", { name: `Actions for task ${title}` }).click();
  await admin.getByRole("menuitem", { name: /Delete/ }).click();
  await admin.getByTestId("confirm-delete-task").click();
  await expect(card(member, "done", title)).toHaveCount(0);
  await expect(card(admin, "done", title)).toHaveCount(0);
});
