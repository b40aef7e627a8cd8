// The UI primitives the screens are built from, given by the app so they look like the rest of it.
// The shapes are shadcn/ui's (Radix underneath); each names only the props the screens pass, so an
// app's own components satisfy them as they are. The screens' own layout uses Tailwind classes and
// shadcn's theme tokens (`text-muted-foreground`, `bg-muted`, `bg-border`, `text-destructive`).
import type { ComponentType, ReactNode } from "react";

type Base = { className?: string; children?: ReactNode };
/** A part that takes a class name, children and `extra`. */
type Part<Extra = object> = ComponentType<Base & Extra>;

/** Controlled open state, as Radix's Dialog, AlertDialog and DropdownMenu roots take it. */
type Openable = { open?: boolean; onOpenChange?: (open: boolean) => void };
/** Radix's `asChild`: render the child element with the part's behaviour. */
type AsChild = { asChild?: boolean };
type ChooseOne = { value?: string; onValueChange?: (value: string) => void };

/** What `kit.toast` shows: a change went through, or why it did not (sonner's `toast` fits). */
export type ClerkLocalToast = {
  success(message: string, options?: { description?: string }): unknown;
  error(message: string): unknown;
};

/**
 * The kit: shadcn/ui's Button, Input, Label, Badge, Skeleton, Card, Alert, Dialog, AlertDialog,
 * Select and DropdownMenu parts, an avatar for a person, and a toast.
 */
export type ClerkLocalKit = {
  Button: Part<
    AsChild & {
      type?: "button" | "submit";
      variant?: "default" | "outline" | "ghost";
      size?: "default" | "sm" | "icon";
      disabled?: boolean;
      onClick?: () => void;
    }
  >;
  Input: ComponentType<{
    id?: string;
    name?: string;
    type?: "text" | "email";
    autoComplete?: string;
    required?: boolean;
    maxLength?: number;
    placeholder?: string;
  }>;
  Label: Part<{ htmlFor?: string }>;
  Badge: Part<{ variant?: "secondary" }>;
  Skeleton: ComponentType<{ className?: string }>;

  Card: Part;
  CardHeader: Part;
  CardTitle: Part;
  CardDescription: Part;
  CardContent: Part;
  CardFooter: Part;

  Alert: Part<{ variant?: "destructive" }>;
  AlertTitle: Part;
  AlertDescription: Part;

  Dialog: Part<Openable>;
  DialogTrigger: Part<AsChild>;
  DialogContent: Part;
  DialogHeader: Part;
  DialogTitle: Part;
  DialogDescription: Part;

  AlertDialog: Part<Openable>;
  AlertDialogContent: Part;
  AlertDialogHeader: Part;
  AlertDialogTitle: Part;
  AlertDialogDescription: Part;
  AlertDialogFooter: Part;
  AlertDialogCancel: Part;
  AlertDialogAction: Part<{ onClick?: () => void }>;

  Select: Part<ChooseOne & { disabled?: boolean }>;
  SelectTrigger: Part<{ id?: string }>;
  SelectValue: ComponentType<{ placeholder?: string }>;
  SelectContent: Part;
  SelectItem: Part<{ value: string }>;

  DropdownMenu: Part<Openable>;
  DropdownMenuTrigger: Part<AsChild>;
  DropdownMenuContent: Part<{ align?: "start" | "center" | "end" }>;
  DropdownMenuLabel: Part;
  DropdownMenuItem: Part<{ onSelect?: (event: Event) => void }>;
  DropdownMenuRadioGroup: Part<ChooseOne>;
  DropdownMenuRadioItem: Part<{ value: string }>;
  DropdownMenuSeparator: ComponentType<{ className?: string }>;

  /** A person's picture or initials; decorative (the name is always shown beside it). */
  PersonAvatar: ComponentType<{ name: string; imageUrl?: string }>;
  toast: ClerkLocalToast;
};
