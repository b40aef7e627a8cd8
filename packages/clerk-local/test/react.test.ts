// @vitest-environment node
// The React UI draws with the kit it is given and nothing else: every screen renders with a kit of
// plain elements (no shadcn/ui, no app), in its first state, before the session is known.
import { createElement, type ComponentType, type ReactNode } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import {
  ClerkLocalProvider,
  ManageMembers,
  ManageMembersPage,
  OrganizationSwitcher,
  SelectOrgPage,
  SignInPage,
  SignUpPage,
  UserMenu,
  type ClerkLocalConfig,
  type ClerkLocalKit,
  type OfflineIdentityClient,
} from "../src/react";

vi.mock("next/navigation", () => ({ useRouter: () => ({ push: () => {}, replace: () => {} }) }));

/** A kit part: a plain element marked with the part's name, passing children and a class name on. */
function part(name: string): ComponentType<{ children?: ReactNode; className?: string }> {
  return function KitPart({ children, className }) {
    return createElement("div", { "data-kit": name, className }, children);
  };
}

const names = [
  "Button",
  "Input",
  "Label",
  "Badge",
  "Skeleton",
  "Card",
  "CardHeader",
  "CardTitle",
  "CardDescription",
  "CardContent",
  "CardFooter",
  "Alert",
  "AlertTitle",
  "AlertDescription",
  "Dialog",
  "DialogTrigger",
  "DialogContent",
  "DialogHeader",
  "DialogTitle",
  "DialogDescription",
  "AlertDialog",
  "AlertDialogContent",
  "AlertDialogHeader",
  "AlertDialogTitle",
  "AlertDialogDescription",
  "AlertDialogFooter",
  "AlertDialogCancel",
  "AlertDialogAction",
  "Select",
  "SelectTrigger",
  "SelectValue",
  "SelectContent",
  "SelectItem",
  "DropdownMenu",
  "DropdownMenuTrigger",
  "DropdownMenuContent",
  "DropdownMenuLabel",
  "DropdownMenuItem",
  "DropdownMenuRadioGroup",
  "DropdownMenuRadioItem",
  "DropdownMenuSeparator",
  "PersonAvatar",
] as const;

const kit = {
  ...Object.fromEntries(names.map((name) => [name, part(name)])),
  toast: { success: () => {}, error: () => {} },
} as unknown as ClerkLocalKit;

/** A client whose answers never come: the UI stays in its first (loading) state. */
const pending = new Proxy({} as OfflineIdentityClient, { get: () => () => new Promise(() => {}) });

const config: ClerkLocalConfig = {
  kit,
  routes: { landing: "/", signIn: "/login", signUp: "/join", selectOrg: "/teams", dashboard: "/home" },
  roles: [{ value: "org:admin", label: "Owner" }],
  providerUrl: "http://127.0.0.1:9999",
  client: pending,
};

const render = (screen: ReactNode) => renderToStaticMarkup(createElement(ClerkLocalProvider, { config }, screen));

describe("the React UI", () => {
  it("draws the sign-in screen with the kit, linking to the app's sign-up route", () => {
    const html = render(createElement(SignInPage, { redirectUrl: "/home" }));
    expect(html).toContain('data-kit="Card"');
    expect(html).toContain('data-kit="Skeleton"');
    expect(html).toContain('href="/join?redirect_url=%2Fhome"');
    expect(html).toContain("http://127.0.0.1:9999");
  });

  it.each<[string, ReactNode, string]>([
    ["sign-up", createElement(SignUpPage, { redirectUrl: "/home" }), "Input"],
    ["organization choice", createElement(SelectOrgPage, { redirectUrl: "/home" }), "Skeleton"],
    ["organization switcher", createElement(OrganizationSwitcher), "Skeleton"],
    ["user menu", createElement(UserMenu), "Skeleton"],
    ["member management", createElement(ManageMembers), "DialogTrigger"],
    ["member management page", createElement(ManageMembersPage), "CardContent"],
  ])("draws the %s with the kit", (_what, screen, expected) => {
    expect(render(screen)).toContain(`data-kit="${expected}"`);
  });

  it("refuses to render outside its provider, saying which one", () => {
    expect(() => renderToStaticMarkup(createElement(UserMenu))).toThrow(/inside <ClerkLocalProvider>/);
  });
});
