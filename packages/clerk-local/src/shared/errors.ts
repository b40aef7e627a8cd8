/** A refusal from the identity provider or the app's /api/offline routes, with its HTTP status (0: unreachable) and code. */
export class OfflineIdentityError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "OfflineIdentityError";
    this.status = status;
    this.code = code;
  }
}

/** True when the error means the session is over (signed out elsewhere, revoked, or unknown to the provider). */
export function isSessionEnded(error: unknown): boolean {
  return error instanceof OfflineIdentityError && error.code === "session_ended";
}
