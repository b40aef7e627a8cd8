/**
 * The Convex sync protocol as the `convex` npm package speaks it (node_modules/convex/src/browser/sync/
 * protocol.ts): the wire shapes this server reads and writes, and the u64 timestamp encoding.
 */
import type { JSONValue } from "convex/values";

export type QueryJournal = string | null;

export type AddQuery = {
  type: "Add";
  queryId: number;
  udfPath: string;
  args: JSONValue[];
  journal?: QueryJournal;
  componentPath?: string;
};
export type RemoveQuery = { type: "Remove"; queryId: number };

export type ClientMessage =
  | {
      type: "Connect";
      sessionId: string;
      connectionCount: number;
      lastCloseReason: string | null;
      maxObservedTimestamp?: string;
      clientTs?: number;
    }
  | { type: "ModifyQuerySet"; baseVersion: number; newVersion: number; modifications: (AddQuery | RemoveQuery)[] }
  | { type: "Mutation"; requestId: number; udfPath: string; args: JSONValue[]; componentPath?: string }
  | { type: "Action"; requestId: number; udfPath: string; args: JSONValue[]; componentPath?: string }
  | { type: "Authenticate"; tokenType: "User" | "Admin" | "None"; value?: string; baseVersion: number }
  | { type: "Event"; eventType: string; event: unknown };

/** `ts` travels as the base64 of its 8 little-endian bytes. */
export type StateVersion = { querySet: number; identity: number; ts: bigint };

export type StateModification =
  | { type: "QueryUpdated"; queryId: number; value: JSONValue; logLines: string[]; journal: QueryJournal }
  | {
      type: "QueryFailed";
      queryId: number;
      errorMessage: string;
      errorData?: JSONValue;
      logLines: string[];
      journal: QueryJournal;
    }
  | { type: "QueryRemoved"; queryId: number };

export type ServerMessage =
  | {
      type: "Transition";
      startVersion: StateVersion;
      endVersion: StateVersion;
      modifications: StateModification[];
      clientClockSkew?: number;
      serverTs?: number;
    }
  | { type: "MutationResponse"; requestId: number; success: true; result: JSONValue; ts: bigint; logLines: string[] }
  | {
      type: "MutationResponse";
      requestId: number;
      success: false;
      result: string;
      logLines: string[];
      errorData?: JSONValue;
    }
  | { type: "ActionResponse"; requestId: number; success: true; result: JSONValue; logLines: string[] }
  | {
      type: "ActionResponse";
      requestId: number;
      success: false;
      result: string;
      logLines: string[];
      errorData?: JSONValue;
    }
  | { type: "AuthError"; error: string; baseVersion: number; authUpdateAttempted: boolean }
  | { type: "FatalError"; error: string }
  | { type: "Ping" };

/** Encodes a u64 timestamp as the client's `longToU64` does. */
export function encodeTs(ts: bigint): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(ts);
  return bytes.toString("base64");
}

/** Decodes the client's `longToU64` form; throws on anything that is not 8 bytes. */
export function decodeTs(encoded: string): bigint {
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.length !== 8) throw new Error(`Invalid u64 timestamp: ${encoded}`);
  return bytes.readBigUInt64LE();
}

/** The JSON text of a server message, with every `ts` in its wire form. */
export function encodeServerMessage(message: ServerMessage): string {
  switch (message.type) {
    case "Transition":
      return JSON.stringify({
        ...message,
        startVersion: { ...message.startVersion, ts: encodeTs(message.startVersion.ts) },
        endVersion: { ...message.endVersion, ts: encodeTs(message.endVersion.ts) },
      });
    case "MutationResponse":
      return JSON.stringify(message.success ? { ...message, ts: encodeTs(message.ts) } : message);
    default:
      return JSON.stringify(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isArgs(value: unknown): value is JSONValue[] {
  return Array.isArray(value) && value.length === 1 && isRecord(value[0]);
}

/** Parses one client frame; throws with a message naming what is wrong. */
export function parseClientMessage(text: string): ClientMessage {
  const message: unknown = JSON.parse(text);
  if (!isRecord(message) || typeof message.type !== "string") throw new Error("Message has no type");
  const fail = (what: string): never => {
    throw new Error(`Malformed ${String(message.type)} message: ${what}`);
  };
  switch (message.type) {
    case "Connect":
      if (typeof message.sessionId !== "string") fail("sessionId");
      if (message.maxObservedTimestamp !== undefined && typeof message.maxObservedTimestamp !== "string") {
        fail("maxObservedTimestamp");
      }
      break;
    case "ModifyQuerySet": {
      if (typeof message.baseVersion !== "number" || typeof message.newVersion !== "number") fail("versions");
      if (!Array.isArray(message.modifications)) fail("modifications");
      for (const modification of message.modifications as unknown[]) {
        if (!isRecord(modification) || typeof modification.queryId !== "number") fail("modification");
        const m = modification as Record<string, unknown>;
        if (m.type === "Add") {
          if (typeof m.udfPath !== "string" || !isArgs(m.args)) fail("Add");
        } else if (m.type !== "Remove") {
          fail(`modification type ${String(m.type)}`);
        }
      }
      break;
    }
    case "Mutation":
    case "Action":
      if (typeof message.requestId !== "number" || typeof message.udfPath !== "string" || !isArgs(message.args)) {
        fail("requestId, udfPath or args");
      }
      break;
    case "Authenticate":
      if (typeof message.baseVersion !== "number") fail("baseVersion");
      if (message.tokenType !== "None" && typeof message.value !== "string") fail("value");
      break;
    case "Event":
      break;
    default:
      fail("unknown type");
  }
  return message as ClientMessage;
}
