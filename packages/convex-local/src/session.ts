/**
 * One WebSocket client of the sync protocol: its query set, its identity and its state version.
 *
 * Everything that changes the session's version (query set changes, authentication, mutations and
 * the re-runs after commits) goes through one queue, so Transitions leave in order and each starts
 * at the version the client is at, as `remote_query_set.ts` insists. Actions run beside the queue:
 * they may take long and the client does not order their responses.
 *
 * Every message is checked as a deployment checks it (convex-backend crates/sync): a malformed one,
 * one that names versions the connection is not at, or one past the limits per connection gets this
 * client a FatalError and its connection closed; nobody else notices. No message moves the
 * server's commit clock. A function that fails, or a failure of this server while it runs one,
 * is that call's error: the connection stays, as the real clients never reopen one closed by a
 * FatalError.
 */
import type { RawData, WebSocket } from "ws";
import type { JSONValue, Value } from "convex/values";
import { AdminKeyRefused, withIdentityFields, type AdminAuth } from "./admin";
import { AuthFailure, type TokenVerifier } from "./auth";
import type { CallResult, Caller, Engine, QueryResult } from "./engine";
import {
  decodeTs,
  encodeServerMessage,
  parseClientMessage,
  ProtocolError,
  type AddQuery,
  type ClientMessage,
  type QueryJournal,
  type ServerMessage,
  type StateModification,
  type StateVersion,
} from "./protocol";
import { decodeArgs, InvalidArgs } from "./values";

/** What one connection may ask of the server at once. */
export const CONNECTION_LIMITS = {
  /** Subscriptions held at once: each one re-runs after every write to a table it reads. */
  queries: 200,
  /**
   * Messages waiting in the connection's queue (mutations, query-set and auth changes). A deployment
   * allows 1000 pending mutations on one WebSocket (crates/sync OPERATION_QUEUE_BUFFER_SIZE).
   */
  pendingOperations: 1000,
  /** Actions running at once, as a deployment bounds them per WebSocket. */
  runningActions: 1000,
} as const;

type Subscription = {
  udfPath: string;
  args: Record<string, Value>;
  /** Why the arguments were refused; such a query never runs and reports this. */
  invalid: string | undefined;
  /** The journal the query runs with: the client's, or the one its first run produced. */
  journal: QueryJournal | undefined;
  /** What the client last received for it; undefined before its first result. */
  fingerprint: string | undefined;
};

export type SessionDeps = {
  engine: Engine;
  verifier: TokenVerifier;
  admin: AdminAuth;
  log: (line: string) => void;
};

const INTERNAL_ERROR = "Internal error in the local server; see its log.";

/** Lets other connections' messages and HTTP requests in between two query runs. */
const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SyncSession {
  private version: StateVersion = { querySet: 0, identity: 0, ts: 0n };
  private queries = new Map<number, Subscription>();
  private removed: number[] = [];
  private caller: Caller = null;
  /** Authenticated with the admin key: internal and system functions too. */
  private isAdmin = false;
  private expiry: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private runningActions = 0;
  private refreshQueued = false;
  /** The client's clock minus ours at Connect (ms), sent with Transitions as a deployment does. */
  private clientClockSkew: number | undefined;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: SessionDeps,
  ) {}

  /** One frame from the client. */
  receive(data: RawData, isBinary = false): void {
    if (this.closed) return;
    if (isBinary) return this.fatal("Binary messages are not part of the sync protocol");
    let message: ClientMessage;
    try {
      message = parseClientMessage(data.toString());
    } catch (error) {
      this.fatal(error instanceof ProtocolError ? error.message : "Invalid message");
      return;
    }
    switch (message.type) {
      case "Connect":
        return this.connect(message);
      case "ModifyQuerySet":
        return this.enqueue(() => this.modifyQuerySet(message));
      case "Authenticate":
        return this.enqueue(() => this.authenticate(message));
      case "Mutation":
        return this.enqueue(() => this.mutation(message));
      case "Action":
        return this.startAction(message);
      case "Event":
        return;
    }
  }

  /** Re-runs the subscribed queries after a commit; coalesces while one is waiting in the queue. */
  refresh(): void {
    if (this.refreshQueued || this.queries.size === 0 || this.closed) return;
    this.refreshQueued = true;
    this.enqueue(() => {
      this.refreshQueued = false;
      return this.sync({});
    }, false);
  }

  ping(): void {
    this.send({ type: "Ping" });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.expiry);
  }

  private connect(message: Extract<ClientMessage, { type: "Connect" }>): void {
    if (typeof message.clientTs === "number") this.clientClockSkew = message.clientTs - Date.now();
    if (typeof message.maxObservedTimestamp !== "string") return;
    const observed = decodeTs(message.maxObservedTimestamp);
    const latest = this.deps.engine.internals.currentTs();
    // A deployment refuses a client that saw a later commit than it has (its data was replaced):
    // serving it would break linearizability. The clock stays the server's own.
    if (observed > latest) {
      this.fatal(
        `Client has observed a timestamp ${observed} ahead of the local server's latest known timestamp ${latest}. ` +
          "Its data was replaced while this page was open: reload the page.",
      );
    }
  }

  /** `counts`: whether the task is a client's operation, bounded per connection (refreshes are not). */
  private enqueue(task: () => Promise<void>, counts = true): void {
    if (counts) {
      if (this.queued >= CONNECTION_LIMITS.pendingOperations) {
        this.fatal(
          `Too many concurrent operations: only up to ${CONNECTION_LIMITS.pendingOperations} may wait on one connection.`,
        );
        return;
      }
      this.queued += 1;
    }
    this.queue = this.queue.then(async () => {
      try {
        if (this.closed) return;
        await task();
      } catch (error) {
        if (error instanceof ProtocolError) {
          this.fatal(error.message);
        } else {
          this.deps.log(`sync session: ${(error as Error).stack ?? String(error)}`);
          this.fatal(INTERNAL_ERROR, 1011);
        }
      } finally {
        if (counts) this.queued -= 1;
      }
    });
  }

  private async modifyQuerySet(message: Extract<ClientMessage, { type: "ModifyQuerySet" }>): Promise<void> {
    const { baseVersion, newVersion } = message;
    if (baseVersion !== this.version.querySet) {
      throw new ProtocolError(
        `Base version ${baseVersion} passed up doesn't match the current version ${this.version.querySet}`,
      );
    }
    if (newVersion <= baseVersion) throw new ProtocolError(`New version ${newVersion} is not after ${baseVersion}`);
    // Checked as a whole before anything changes or runs.
    const queries = new Map(this.queries);
    const removed: number[] = [];
    for (const modification of message.modifications) {
      if (modification.type === "Add") {
        if (queries.has(modification.queryId)) throw new ProtocolError(`Duplicate query ID: ${modification.queryId}`);
        queries.set(modification.queryId, subscription(modification));
      } else {
        if (!queries.delete(modification.queryId)) {
          throw new ProtocolError(`Nonexistent query id: ${modification.queryId}`);
        }
        removed.push(modification.queryId);
      }
    }
    if (queries.size > CONNECTION_LIMITS.queries) {
      throw new ProtocolError(
        `Too many subscriptions on one connection: ${queries.size} queries (at most ${CONNECTION_LIMITS.queries}).`,
      );
    }
    this.queries = queries;
    this.removed.push(...removed);
    await this.sync({ querySet: newVersion });
  }

  private async authenticate(message: Extract<ClientMessage, { type: "Authenticate" }>): Promise<void> {
    if (message.baseVersion !== this.version.identity) {
      throw new ProtocolError(
        `Authenticate from identity version ${message.baseVersion}, but the connection is at ${this.version.identity}`,
      );
    }
    clearTimeout(this.expiry);
    this.isAdmin = false;
    if (message.tokenType === "None") {
      this.caller = null;
    } else if (message.tokenType === "Admin") {
      try {
        this.deps.admin.credentials(message.value!);
      } catch (error) {
        if (!(error instanceof AdminKeyRefused)) throw error;
        this.deps.log("auth: admin key refused on the sync protocol");
        return this.refuseToken(message.baseVersion, `${error.code}: ${error.message}`);
      }
      this.isAdmin = true;
      const identity = message.impersonating === undefined ? null : withIdentityFields(message.impersonating);
      this.caller = identity === null ? null : { identity, key: `admin:${JSON.stringify(identity)}` };
    } else {
      try {
        const verified = await this.deps.verifier.verify(message.value!);
        this.caller = { identity: verified.identity, key: verified.key };
        this.watchExpiry(verified.expiresAt);
      } catch (error) {
        const text = error instanceof AuthFailure ? error.message : "Could not verify token";
        this.deps.log(`auth: token refused (${error instanceof AuthFailure ? error.message : String(error)})`);
        return this.refuseToken(message.baseVersion, text);
      }
    }
    await this.sync({ identity: message.baseVersion + 1 });
  }

  /** As a deployment: the AuthError, then the connection closes; the client reconnects and tries again. */
  private refuseToken(baseVersion: number, error: string): void {
    this.caller = null;
    this.send({ type: "AuthError", error, baseVersion, authUpdateAttempted: true });
    this.close();
    this.socket.close(1000);
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
        }, false),
      Math.max(0, Math.min(expiresAt - Date.now(), 2 ** 31 - 1)),
    );
    this.expiry.unref();
  }

  private async mutation(message: Extract<ClientMessage, { type: "Mutation" }>): Promise<void> {
    const decoded = decodeOrRefuse(message.args[0], "mutation");
    const result =
      "refused" in decoded
        ? decoded.refused
        : await this.deps.engine
            .mutation({
              udfPath: message.udfPath,
              args: decoded.args,
              caller: this.caller,
              publicOnly: !this.isAdmin,
              source: "WebSocket",
            })
            .catch((error: unknown) => ({ ...this.internalFailure(error), ts: 0n }));
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

  private startAction(message: Extract<ClientMessage, { type: "Action" }>): void {
    if (this.runningActions >= CONNECTION_LIMITS.runningActions) {
      this.fatal(`Too many concurrent actions: only up to ${CONNECTION_LIMITS.runningActions} on one connection.`);
      return;
    }
    this.runningActions += 1;
    this.action(message)
      .catch((error: unknown) => {
        this.deps.log(`sync session: ${(error as Error).stack ?? String(error)}`);
        this.fatal(INTERNAL_ERROR, 1011);
      })
      .finally(() => {
        this.runningActions -= 1;
      });
  }

  private async action(message: Extract<ClientMessage, { type: "Action" }>): Promise<void> {
    const decoded = decodeOrRefuse(message.args[0], "action");
    const result =
      "refused" in decoded
        ? decoded.refused
        : await this.deps.engine
            .action({
              udfPath: message.udfPath,
              args: decoded.args,
              caller: this.caller,
              publicOnly: !this.isAdmin,
              source: "WebSocket",
            })
            .catch((error: unknown) => this.internalFailure(error));
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
      if (this.closed) return;
      let result: QueryResult;
      if (query.invalid !== undefined) {
        result = {
          ok: false,
          errorMessage: query.invalid,
          logLines: [],
          journal: null,
          fingerprint: `invalid${query.invalid}`,
          stale: false,
        };
      } else {
        await yieldToOthers();
        result = await engine
          .query({
            udfPath: query.udfPath,
            args: query.args,
            caller: this.caller,
            journal: query.journal ?? undefined,
            publicOnly: !this.isAdmin,
            source: "WebSocket",
          })
          .catch((error: unknown) => ({
            ...this.internalFailure(error),
            journal: null,
            fingerprint: `error${INTERNAL_ERROR}`,
            stale: false,
          }));
      }
      // Removed while it ran (only possible if the queue were bypassed); nothing to send.
      if (this.queries.get(queryId) !== query) continue;
      query.journal ??= result.journal;
      if (result.fingerprint === query.fingerprint) continue;
      query.fingerprint = result.fingerprint;
      modifications.push(modificationFor(queryId, result));
    }
    if (this.closed) return;

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

  /** This server failed while running a function: logged, and that call's error. */
  private internalFailure(error: unknown): Extract<CallResult, { ok: false }> {
    this.deps.log(`sync session: ${(error as Error).stack ?? String(error)}`);
    return { ok: false, errorMessage: INTERNAL_ERROR, logLines: [] };
  }

  private send(message: ServerMessage): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(encodeServerMessage(message));
  }

  /** This client's error: the message, then the connection closes. Nobody else is affected. */
  private fatal(error: string, code = 1008): void {
    if (this.closed) return;
    this.deps.log(`sync session: ${error}`);
    this.send({ type: "FatalError", error });
    this.close();
    // Close reasons are at most 123 bytes.
    this.socket.close(code, Buffer.from(error).subarray(0, 120).toString());
  }
}

function subscription(add: AddQuery): Subscription {
  let args: Record<string, Value> = {};
  let invalid: string | undefined;
  try {
    args = decodeArgs(add.args[0], "query").args;
  } catch (error) {
    if (!(error instanceof InvalidArgs)) throw error;
    invalid = error.message;
  }
  return { udfPath: add.udfPath, args, invalid, journal: add.journal ?? undefined, fingerprint: undefined };
}

type Refusal = { ok: false; errorMessage: string; errorData?: JSONValue; logLines: string[]; ts: bigint };

/** Decoded arguments, or the failure the call answers with when a deployment would refuse them. */
function decodeOrRefuse(
  json: JSONValue | undefined,
  kind: "mutation" | "action",
): { args: Record<string, Value> } | { refused: Refusal } {
  try {
    return { args: decodeArgs(json, kind).args };
  } catch (error) {
    if (!(error instanceof InvalidArgs)) throw error;
    return { refused: { ok: false, errorMessage: error.message, logLines: [], ts: 0n } };
  }
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
