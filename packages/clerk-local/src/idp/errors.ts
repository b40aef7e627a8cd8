/** Why a request or call was refused; each maps to one HTTP status. */
export type IdpErrorCode = "invalid" | "not_found" | "conflict" | "gone";

const STATUS: Record<IdpErrorCode, number> = { invalid: 400, not_found: 404, conflict: 409, gone: 410 };

/** An expected refusal, thrown by the programmatic API and sent by the HTTP API as `{ error: { code, message } }`. */
export class IdpError extends Error {
  readonly code: IdpErrorCode;

  constructor(code: IdpErrorCode, message: string) {
    super(message);
    this.name = "IdpError";
    this.code = code;
  }

  /** The HTTP status this refusal is sent with. */
  get status(): number {
    return STATUS[this.code];
  }
}
