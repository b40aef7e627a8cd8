import { expect, test } from "@playwright/test";
import { expectNoReload, idp, markNoReload, newUser, organization, signedInPage } from "./support";

test("a member removed from the organization loses access live, without reloading", async ({ browser }) => {
  const rita = await newUser("Rita", { slug: "acme", role: "org:member" });
  const page = await signedInPage(browser, rita.email_address, "/projects");
  await expect(page.getByRole("link", { name: "Website relaunch" })).toBeVisible();
  await page.getByRole("link", { name: "Website relaunch" }).click();
  await expect(page.getByTestId("board-column-todo").getByRole("article").first()).toBeVisible();
  await markNoReload(page);

  const acme = await organization("acme");
  await idp("DELETE", `/directory/organizations/${acme.id}/memberships/${rita.id}`);
  await expect(page.getByRole("heading", { name: "You no longer have access to this organization" })).toBeVisible();
  await expect(page.getByTestId("board-column-todo")).toHaveCount(0);
  await expectNoReload(page);
  await expect(page.getByTestId("choose-another-org")).toBeVisible();
});

test("an admin changes a member's role in the local directory; the members page follows live", async ({ browser }) => {
  const sam = await newUser("Sam", { slug: "acme", role: "org:member" });
  const admin = await signedInPage(browser, "alice.johnson@example.com", "/members");
  const row = admin.getByTestId("members-list").getByRole("listitem", { name: new RegExp(sam.name) });
  await expect(row.getByTestId("member-role-label")).toHaveText("Role: Member");
  await admin.getByTestId("manage-members").click();
  await admin.getByRole("combobox", { name: `Role for ${sam.name}` }).click();
  await admin.getByRole("option", { name: "Viewer" }).click();
  await expect(admin.getByRole("combobox", { name: `Role for ${sam.name}` })).toHaveText("Viewer");
  // The change went to the directory; the list below shows it once Convex has the webhook.
  await admin.keyboard.press("Escape");
  await expect(row.getByTestId("member-role-label")).toHaveText("Role: Viewer");
});
