/**
 * Delivers the outbox to the backend's `/webhooks/clerk` as Svix does for Clerk: POST of the
 * event JSON with `svix-id`, `svix-timestamp` and `svix-signature`, retried with backoff until a
 * 2xx. Deliveries go one at a time in the order they were queued. A retry keeps the `svix-id` and
 * body and is signed afresh (receivers refuse timestamps older than five minutes).
 */
import { Webhook } from "svix";
import type { FailedDelivery, PendingDelivery, Store } from "./state";

/** Where deliveries go. */
export type WebhookTarget = { url: string; secret: string };

/** When to retry and when to give up. */
export type RetryPolicy = {
  /** Wait after the n-th failed attempt; the last entry repeats. */
  delaysMs: readonly number[];
  /** Attempts before a delivery is moved to the dead letters. */
  maxAttempts: number;
  /** Time allowed for one attempt. */
  timeoutMs: number;
};

/** About five minutes of retries: 1 s, 2 s, 5 s, 10 s, 30 s, then every 60 s, ten attempts in all. */
export const DEFAULT_RETRY: RetryPolicy = {
  delaysMs: [1_000, 2_000, 5_000, 10_000, 30_000, 60_000],
  maxAttempts: 10,
  timeoutMs: 10_000,
};

/** A finished delivery, kept in memory for `status()`. */
export type DeliveryRecord = { id: string; type: string; attempts: number; status: number; delivered_at: number };

/** What `status()` reports. */
export type WebhookStatus = {
  url: string | null;
  pending: Array<Omit<PendingDelivery, "body">>;
  failed: Array<Omit<FailedDelivery, "body">>;
  delivered: DeliveryRecord[];
};

const RECENT = 50;

function withoutBody<T extends { body: string }>({ body: _body, ...rest }: T): Omit<T, "body"> {
  return rest;
}

/** Sends the store's outbox. Without a target, deliveries stay queued (on disk) until there is one. */
export class WebhookSender {
  private readonly store: Store;
  private readonly target: WebhookTarget | null;
  private readonly webhook: Webhook | null;
  private readonly policy: RetryPolicy;
  private readonly log: (line: string) => void;
  private readonly delivered: DeliveryRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private inFlight: AbortController | undefined;
  private started = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(store: Store, target: WebhookTarget | null, policy: RetryPolicy, log: (line: string) => void) {
    this.store = store;
    this.target = target;
    this.webhook = target ? new Webhook(target.secret) : null;
    this.policy = policy;
    this.log = log;
  }

  /** Starts sending; deliveries left from a previous run are tried at once. */
  start(): void {
    if (this.started) return;
    const now = Date.now();
    for (const delivery of this.store.state.outbox.pending) delivery.next_attempt_at = now;
    this.started = true;
    this.wake();
  }

  /** Called after new deliveries were queued; does nothing before `start()`. */
  wake(): void {
    if (!this.started || this.closed || this.running || !this.target) return;
    const head = this.store.state.outbox.pending[0];
    if (!head) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    const delay = Math.max(0, head.next_attempt_at - Date.now());
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.attempt(head).finally(() => {
        this.running = undefined;
        this.wake();
      });
    }, delay);
  }

  /** Resolves once nothing is pending; rejects after `timeoutMs` naming what still is. */
  idle(timeoutMs = 10_000): Promise<void> {
    if (this.store.state.outbox.pending.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        const pending = this.store.state.outbox.pending.map(
          (d) => `${d.type} (${d.attempts} attempts: ${d.last_error})`,
        );
        reject(new Error(`Webhook deliveries still pending after ${timeoutMs} ms: ${pending.join("; ")}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timeout);
        resolve();
      };
      this.idleWaiters.push(done);
    });
  }

  /** The queue, the dead letters and the last deliveries. */
  status(): WebhookStatus {
    return {
      url: this.target?.url ?? null,
      pending: this.store.state.outbox.pending.map(withoutBody),
      failed: this.store.state.outbox.failed.map(withoutBody),
      delivered: [...this.delivered],
    };
  }

  /** Stops sending. An attempt in flight is abandoned uncounted; its delivery stays queued on disk. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.inFlight?.abort();
    await this.running;
  }

  private async attempt(delivery: PendingDelivery): Promise<void> {
    if (!this.target || !this.webhook) return;
    const controller = new AbortController();
    this.inFlight = controller;
    const signedAt = new Date();
    let status = 0;
    let problem: string | null;
    try {
      const response = await fetch(this.target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "offline-idp-webhooks (svix-compatible; not for production)",
          "svix-id": delivery.id,
          "svix-timestamp": String(Math.floor(signedAt.getTime() / 1000)),
          "svix-signature": this.webhook.sign(delivery.id, signedAt, delivery.body),
        },
        body: delivery.body,
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(this.policy.timeoutMs)]),
      });
      status = response.status;
      const text = await response.text().catch(() => "");
      problem = response.ok ? null : `HTTP ${response.status}${text ? `: ${text.slice(0, 300)}` : ""}`;
    } catch (error) {
      if (this.closed) return;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      problem = cause?.code ?? cause?.message ?? (error as Error).message;
    } finally {
      this.inFlight = undefined;
    }
    if (this.closed) return;
    const now = Date.now();
    delivery.attempts += 1;
    if (problem === null) {
      const outbox = this.store.state.outbox;
      outbox.pending = outbox.pending.filter((d) => d.id !== delivery.id);
      this.delivered.push({
        id: delivery.id,
        type: delivery.type,
        attempts: delivery.attempts,
        status,
        delivered_at: now,
      });
      this.delivered.splice(0, Math.max(0, this.delivered.length - RECENT));
      if (delivery.attempts > 1)
        this.log(`webhook ${delivery.type} ${delivery.id} delivered on attempt ${delivery.attempts}`);
    } else if (delivery.attempts >= this.policy.maxAttempts) {
      delivery.last_error = problem;
      this.store.fail(delivery, now);
      this.log(`webhook ${delivery.type} ${delivery.id} dropped after ${delivery.attempts} attempts: ${problem}`);
    } else {
      const delays = this.policy.delaysMs;
      const delay = delays[Math.min(delivery.attempts - 1, delays.length - 1)] ?? 0;
      delivery.last_error = problem;
      delivery.next_attempt_at = now + delay;
      this.log(
        `webhook ${delivery.type} ${delivery.id} to ${this.target.url} failed (${problem}); ` +
          `attempt ${delivery.attempts}/${this.policy.maxAttempts}, next in ${delay / 1000} s`,
      );
    }
    this.store.save();
  }
}
