/**
 * Everything the identity provider keeps, in one JSON file: the directory, the sessions and the
 * outbox of webhook deliveries. One file means a change and the events it causes are saved together.
 */
import path from "node:path";
import { readIfExists, writeAtomic } from "./files";

/** A user as the directory keeps it. Times are milliseconds, as in Clerk. */
export type UserRecord = {
  id: string;
  first_name: string | null;
  last_name: string | null;
  email_address: string;
  /** The `idn_…` id of the (only, primary) email address. */
  email_address_id: string;
  image_url: string;
  created_at: number;
  updated_at: number;
};

export type OrganizationRecord = {
  id: string;
  name: string;
  slug: string;
  image_url: string;
  created_by: string | null;
  created_at: number;
  updated_at: number;
};

export type MembershipRecord = {
  id: string;
  organization_id: string;
  user_id: string;
  /** Clerk's `org:<key>` form. */
  role: string;
  created_at: number;
  updated_at: number;
};

export type SessionStatus = "active" | "ended" | "revoked";

export type SessionRecord = {
  id: string;
  user_id: string;
  status: SessionStatus;
  last_active_organization_id: string | null;
  created_at: number;
  updated_at: number;
};

/** A webhook waiting to be delivered; `body` is sent byte for byte on every attempt. */
export type PendingDelivery = {
  /** The `svix-id`, the same on every attempt. */
  id: string;
  type: string;
  body: string;
  enqueued_at: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
};

export type FailedDelivery = PendingDelivery & { failed_at: number };

export type State = {
  version: 1;
  /** Clerk's `instance_id` in every event. */
  instance_id: string;
  /** The last time handed out, so every change gets a strictly later `updated_at`. */
  clock: number;
  users: UserRecord[];
  organizations: OrganizationRecord[];
  memberships: MembershipRecord[];
  sessions: SessionRecord[];
  outbox: { pending: PendingDelivery[]; failed: FailedDelivery[] };
};

/** Dead letters kept for inspection; older ones are dropped. */
const MAX_FAILED = 100;

/** The state file and the in-memory state it holds. */
export class Store {
  readonly file: string;
  readonly state: State;

  private constructor(file: string, state: State) {
    this.file = file;
    this.state = state;
  }

  /** Loads `state.json` from `dataDir`, or returns `null` when there is none yet. */
  static load(dataDir: string): Store | null {
    const file = path.join(dataDir, "state.json");
    const text = readIfExists(file);
    if (text === null) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${file} is not valid JSON. Start with --reset to begin again with the demo data.`);
    }
    const state = parsed as Partial<State> | null;
    if (state?.version !== 1 || !Array.isArray(state.users) || !state.outbox) {
      throw new Error(`${file} is not a state file this version understands. Start with --reset to begin again.`);
    }
    return new Store(file, state as State);
  }

  /** A new, empty state (not yet saved). */
  static create(dataDir: string, instanceId: string): Store {
    return new Store(path.join(dataDir, "state.json"), {
      version: 1,
      instance_id: instanceId,
      clock: 0,
      users: [],
      organizations: [],
      memberships: [],
      sessions: [],
      outbox: { pending: [], failed: [] },
    });
  }

  /** The current time in ms, strictly later than any time handed out before (Clerk's `updated_at` order). */
  tick(): number {
    this.state.clock = Math.max(Date.now(), this.state.clock + 1);
    return this.state.clock;
  }

  /** Moves a pending delivery to the dead letters. */
  fail(delivery: PendingDelivery, at: number): void {
    this.state.outbox.pending = this.state.outbox.pending.filter((d) => d.id !== delivery.id);
    this.state.outbox.failed.push({ ...delivery, failed_at: at });
    this.state.outbox.failed.splice(0, Math.max(0, this.state.outbox.failed.length - MAX_FAILED));
  }

  save(): void {
    writeAtomic(this.file, JSON.stringify(this.state, null, 2) + "\n");
  }
}
