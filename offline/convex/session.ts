/**
 * One WebSocket client of the sync protocol: its query set, its identity and its state version.
 *
 * Everything that changes the session's version (query set changes, authentication, mutations and
 * the re-runs after commits) goes through one queue, so Transitions leave in order and each starts
 * at the version the client is at, as `remote_query_set.ts` insists. Actions run beside the queue:
 * they may take long and the client does not order their responses.
 */
import type { WebSocket } from "ws";
import { jsonToConvex, type JSONValue, type Value } from "convex/values";
import { AuthFailure, type TokenVerifier } from "./auth";
import type { Caller, Engine, QueryResult } from "./engine";
import {
  decodeTs,
  encodeServerMessage,
  parseClientMessage,
  type AddQuery,
  type ClientMessage,
  type QueryJournal,
  type ServerMessage,
  type StateModification,
  type StateVersion,
} from "./protocol";

type Subscription = {
  udfPath: string;
  args: Record<string, Value>;
  argsKey: string;
  /** The journal the query runs with: the client's, or the one its first run produced. */
  journal: QueryJournal | undefined;
  /** What the client last received for it; undefined before its first result. */
  fingerprint: string | undefined;
};

export type SessionDeps = {
  engine: Engine;
  verifier: TokenVerifier;
  log: (line: string) => void;
};

export class SyncSession {
  private version: StateVersion = { querySet: 0, identity: 0, ts: 0n };
  private readonly queries = new Map<number, Subscription>();
  private removed: number[] = [];
  private caller: Caller = null;
  private expiry: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private refreshQueued = false;
  /** The client's clock minus ours at Connect (ms), sent with Transitions as a deployment does. */
  private clientClockSkew: number | undefined;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: SessionDeps,
  ) {}

  /** One frame from the client. */
  receive(text: string): void {
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (error) {
      this.fatal(`Invalid message: ${(error as Error).message}`);
      return;
    }
    switch (message.type) {
      case "Connect":
        if (typeof message.clientTs === "number") this.clientClockSkew = message.clientTs - Date.now();
        if (message.maxObservedTimestamp !== undefined) {
          // A client that saw later timestamps than this server has (its data was reset, or the
          // clock moved back): continue after them, since the client only accepts growing ones.
          try {
            this.deps.engine.internals.advanceTsTo(decodeTs(message.maxObservedTimestamp));
          } catch (error) {
            this.fatal((error as Error).message);
          }
        }
        return;
      case "ModifyQuerySet":
        return this.enqueue(() => this.modifyQuerySet(message));
      case "Authenticate":
        return this.enqueue(() => this.authenticate(message));
      case "Mutation":
        return this.enqueue(() => this.mutation(message));
      case "Action":
        void this.action(message);
        return;
      case "Event":
        return;
    }
  }

  /** Re-runs the subscribed queries after a commit; coalesces while one is waiting in the queue. */
  refresh(): void {
    if (this.refreshQueued || this.queries.size === 0) return;
    this.refreshQueued = true;
    this.enqueue(() => {
      this.refreshQueued = false;
      return this.sync({});
    });
  }

  ping(): void {
    this.send({ type: "Ping" });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.expiry);
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(async () => {
      if (this.closed) return;
      try {
        await task();
      } catch (error) {
        this.deps.log(`sync session: ${(error as Error).stack ?? String(error)}`);
        this.fatal(`Internal error in the offline server: ${(error as Error).message}`);
      }
    });
  }

  private async modifyQuerySet(message: Extract<ClientMessage, { type: "ModifyQuerySet" }>): Promise<void> {
    if (message.baseVersion !== this.version.querySet) {
      this.fatal(
        `ModifyQuerySet from version ${message.baseVersion}, but the query set is at ${this.version.querySet}`,
      );
      return;
    }
    for (const modification of message.modifications) {
      if (modification.type === "Add") {
        this.queries.set(modification.queryId, subscription(modification));
      } else if (this.queries.delete(modification.queryId)) {
        this.removed.push(modification.queryId);
      }
    }
    await this.sync({ querySet: message.newVersion });
  }

  private async authenticate(message: Extract<ClientMessage, { type: "Authenticate" }>): Promise<void> {
    clearTimeout(this.expiry);
    if (message.tokenType === "None") {
      this.caller = null;
    } else if (message.tokenType === "Admin") {
      this.send({
        type: "AuthError",
        error: "Admin keys are not accepted by the offline server; sign in with a user token.",
        baseVersion: message.baseVersion,
        authUpdateAttempted: true,
      });
      return;
    } else {
      try {
        const verified = await this.deps.verifier.verify(message.value!);
        this.caller = { identity: verified.identity, key: verified.key };
        this.watchExpiry(verified.expiresAt);
      } catch (error) {
        const text = error instanceof AuthFailure ? error.message : `Could not verify token: ${String(error)}`;
        this.deps.log(`auth: token refused (${text})`);
        this.caller = null;
        this.send({ type: "AuthError", error: text, baseVersion: message.baseVersion, authUpdateAttempted: true });
        return;
      }
    }
    await this.sync({ identity: message.baseVersion + 1 });
  }

  /** A deployment tells a client whose token ran out; the client fetches a new one. */
  private watchExpiry(expiresAt: number): void {
    this.expiry = setTimeout(
      () =>
        this.enqueue(async () => {
          this.caller = null;
          this.send({
            type: "AuthError",
            error: "Token expired",
            baseVersion: this.version.identity,
            authUpdateAttempted: false,
          });
        }),
      Math.max(0, expiresAt - Date.now()),
    );
    this.expiry.unref();
  }

  private async mutation(message: Extract<ClientMessage, { type: "Mutation" }>): Promise<void> {
    const result = await this.deps.engine.mutation({
      udfPath: message.udfPath,
      args: decodeArgs(message.args),
      caller: this.caller,
      publicOnly: true,
    });
    if (result.ok) {
      this.send({
        type: "MutationResponse",
        requestId: message.requestId,
        success: true,
        result: result.value,
        ts: result.ts,
        logLines: result.logLines,
      });
      // The client settles the mutation only once a Transition reaches its timestamp.
      await this.sync({ atLeast: result.ts });
    } else {
      this.send({
        type: "MutationResponse",
        requestId: message.requestId,
        success: false,
        result: result.errorMessage,
        logLines: result.logLines,
        ...(result.errorData !== undefined && { errorData: result.errorData }),
      });
    }
  }

  private async action(message: Extract<ClientMessage, { type: "Action" }>): Promise<void> {
    const result = await this.deps.engine.action({
      udfPath: message.udfPath,
      args: decodeArgs(message.args),
      caller: this.caller,
      publicOnly: true,
    });
    this.send(
      result.ok
        ? {
            type: "ActionResponse",
            requestId: message.requestId,
            success: true,
            result: result.value,
            logLines: result.logLines,
          }
        : {
            type: "ActionResponse",
            requestId: message.requestId,
            success: false,
            result: result.errorMessage,
            logLines: result.logLines,
            ...(result.errorData !== undefined && { errorData: result.errorData }),
          },
    );
  }

  /**
   * Runs every subscribed query (unchanged ones come from the engine's cache) and sends one
   * Transition with the results that differ from what the client has, if anything is new.
   */
  private async sync(change: { querySet?: number; identity?: number; atLeast?: bigint }): Promise<void> {
    const { engine } = this.deps;
    // Taken before the queries run: their results are at least this new.
    let ts = engine.internals.currentTs();
    if (ts < this.version.ts) ts = this.version.ts;
    if (change.atLeast !== undefined && change.atLeast > ts) ts = change.atLeast;

    const modifications: StateModification[] = this.removed.map((queryId) => ({ type: "QueryRemoved", queryId }));
    this.removed = [];
    for (const [queryId, query] of this.queries) {
      const result = await engine.query({
        udfPath: query.udfPath,
        args: query.args,
        argsKey: query.argsKey,
        caller: this.caller,
        journal: query.journal ?? undefined,
        publicOnly: true,
      });
      // Removed while it ran (only possible if the queue were bypassed); nothing to send.
      if (this.queries.get(queryId) !== query) continue;
      query.journal ??= result.journal;
      if (result.fingerprint === query.fingerprint) continue;
      query.fingerprint = result.fingerprint;
      modifications.push(modificationFor(queryId, result));
    }

    const end: StateVersion = {
      querySet: change.querySet ?? this.version.querySet,
      identity: change.identity ?? this.version.identity,
      ts,
    };
    const versionMoved =
      end.querySet !== this.version.querySet ||
      end.identity !== this.version.identity ||
      (change.atLeast !== undefined && end.ts > this.version.ts);
    if (modifications.length === 0 && !versionMoved) return;
    this.send({
      type: "Transition",
      startVersion: this.version,
      endVersion: end,
      modifications,
      ...(this.clientClockSkew !== undefined && {
        clientClockSkew: this.clientClockSkew,
        serverTs: Date.now() * 1_000_000,
      }),
    });
    this.version = end;
  }

  private send(message: ServerMessage): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(encodeServerMessage(message));
  }

  private fatal(error: string): void {
    this.deps.log(`sync session: ${error}`);
    this.send({ type: "FatalError", error });
    this.close();
    this.socket.close(1011, error.slice(0, 120));
  }
}

function subscription(add: AddQuery): Subscription {
  const args = decodeArgs(add.args);
  return {
    udfPath: add.udfPath,
    args,
    argsKey: JSON.stringify(add.args[0]),
    journal: add.journal ?? undefined,
    fingerprint: undefined,
  };
}

function decodeArgs(args: JSONValue[]): Record<string, Value> {
  return jsonToConvex(args[0] ?? {}) as Record<string, Value>;
}

function modificationFor(queryId: number, result: QueryResult): StateModification {
  return result.ok
    ? { type: "QueryUpdated", queryId, value: result.value, logLines: result.logLines, journal: result.journal }
    : {
        type: "QueryFailed",
        queryId,
        errorMessage: result.errorMessage,
        logLines: result.logLines,
        journal: result.journal,
        ...(result.errorData !== undefined && { errorData: result.errorData }),
      };
}
