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
  | {
      type: "Authenticate";
      tokenType: "User" | "Admin" | "None";
      value?: string;
      baseVersion: number;
      /** With an admin key: the identity the admin acts as. */
      impersonating?: Record<string, unknown>;
    }
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

/** A client message a deployment would refuse: the connection gets a FatalError and is closed. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Encodes a u64 timestamp as the client's `longToU64` does. */
export function encodeTs(ts: bigint): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(ts);
  return bytes.toString("base64");
}

/** Decodes the client's `longToU64` form; throws on anything but the canonical base64 of 8 bytes. */
export function decodeTs(encoded: string): bigint {
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.length !== 8 || bytes.toString("base64") !== encoded)
    throw new ProtocolError(`Invalid u64 timestamp: ${encoded.slice(0, 40)}`);
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

/** Query ids, request ids, query-set and identity versions are u32 on a deployment. */
export const MAX_U32 = 2 ** 32 - 1;
/** Generous bounds on strings a client sends, so none of them can be made to hold megabytes. */
const MAX_UDF_PATH = 1024;
const MAX_SHORT_TEXT = 4096;
const MAX_JOURNAL = 64 * 1024;
const MAX_TOKEN = 64 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isU32 = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_U32;

const isText = (value: unknown, max: number): value is string => typeof value === "string" && value.length <= max;

/** Parses and checks one client frame; throws ProtocolError naming what is wrong. */
export function parseClientMessage(text: string): ClientMessage {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    throw new ProtocolError("Received invalid JSON on websocket");
  }
  if (!isRecord(message) || typeof message.type !== "string") throw new ProtocolError("Message has no type");
  const type = message.type.slice(0, 40);
  const fail = (what: string): never => {
    throw new ProtocolError(`Malformed ${type} message: ${what}`);
  };
  const u32 = (value: unknown, what: string) => {
    if (!isU32(value)) fail(`${what} must be a whole number from 0 to ${MAX_U32}`);
  };
  const args = (value: unknown) => {
    if (!Array.isArray(value) || value.length !== 1 || !isRecord(value[0])) fail("args must be [ {…} ]");
  };
  const componentPath = (value: unknown) => {
    // Clients reach the app's own functions; a component's run only through them.
    if (value !== undefined && value !== null && value !== "") {
      fail("componentPath: a component's functions are not served to clients directly here");
    }
  };
  switch (message.type) {
    case "Connect":
      if (!isText(message.sessionId, 64)) fail("sessionId");
      u32(message.connectionCount, "connectionCount");
      if (message.lastCloseReason !== undefined && message.lastCloseReason !== null) {
        if (!isText(message.lastCloseReason, MAX_SHORT_TEXT)) fail("lastCloseReason");
      }
      if (message.maxObservedTimestamp !== undefined && message.maxObservedTimestamp !== null) {
        if (!isText(message.maxObservedTimestamp, 16)) fail("maxObservedTimestamp");
        decodeTs(message.maxObservedTimestamp as string);
      }
      if (message.clientTs !== undefined && message.clientTs !== null && !Number.isSafeInteger(message.clientTs)) {
        fail("clientTs must be a whole number of milliseconds");
      }
      break;
    case "ModifyQuerySet": {
      u32(message.baseVersion, "baseVersion");
      u32(message.newVersion, "newVersion");
      if (!Array.isArray(message.modifications)) fail("modifications must be an array");
      for (const modification of message.modifications as unknown[]) {
        if (!isRecord(modification)) fail("each modification must be an object");
        const m = modification as Record<string, unknown>;
        u32(m.queryId, "queryId");
        if (m.type === "Add") {
          if (!isText(m.udfPath, MAX_UDF_PATH)) fail("udfPath");
          args(m.args);
          if (m.journal !== undefined && m.journal !== null && !isText(m.journal, MAX_JOURNAL)) fail("journal");
          componentPath(m.componentPath);
        } else if (m.type !== "Remove") {
          fail(`modification type ${String(m.type).slice(0, 40)}`);
        }
      }
      break;
    }
    case "Mutation":
    case "Action":
      u32(message.requestId, "requestId");
      if (!isText(message.udfPath, MAX_UDF_PATH)) fail("udfPath");
      args(message.args);
      componentPath(message.componentPath);
      break;
    case "Authenticate":
      u32(message.baseVersion, "baseVersion");
      if (message.tokenType === "None") break;
      if (message.tokenType !== "User" && message.tokenType !== "Admin") fail("tokenType");
      if (!isText(message.value, MAX_TOKEN)) fail("value");
      if (message.impersonating !== undefined && message.impersonating !== null) {
        if (message.tokenType !== "Admin" || !isRecord(message.impersonating)) fail("impersonating");
        if (JSON.stringify(message.impersonating).length > MAX_TOKEN) fail("impersonating");
      }
      break;
    case "Event":
      if (!isText(message.eventType, MAX_SHORT_TEXT)) fail("eventType");
      break;
    default:
      fail("unknown type");
  }
  return message as ClientMessage;
}
