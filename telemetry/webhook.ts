import { createHmac } from 'node:crypto';
import { redact } from '../lib/redact.js';

/** Where and how to POST notifications. */
export interface WebhookOptions {
  url: string;
  /** When set, each request carries `X-Tbx-Signature: sha256=<HMAC-SHA256 of the body>`. */
  secret?: string;
  /** Attempts per delivery (default 3). */
  attempts?: number;
  /** First retry delay; it doubles each time (default 1000 ms). */
  baseDelayMs?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** How a delivery ended. */
export interface Delivery {
  ok: boolean;
  attempts: number;
  status: number | null;
  error: string | null;
}

/**
 * POST `payload` as JSON to the webhook. Network errors, timeouts, 408, 429 and 5xx are
 * retried with doubling delays; other 4xx answers are final (the request is wrong and
 * repeating it will not help). Never throws.
 */
export async function deliverWebhook(payload: unknown, o: WebhookOptions): Promise<Delivery> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'tbx-reconciler' };
  if (o.secret) headers['x-tbx-signature'] = `sha256=${createHmac('sha256', o.secret).update(body).digest('hex')}`;
  const attempts = Math.max(1, o.attempts ?? 3);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last: Delivery = { ok: false, attempts: 0, status: null, error: null };
  for (let i = 1; i <= attempts; i++) {
    try {
      const res = await fetch(o.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
      await res.arrayBuffer().catch(() => undefined);
      last = { ok: res.ok, attempts: i, status: res.status, error: res.ok ? null : `HTTP ${res.status}` };
      if (res.ok || !retryable(res.status)) return last;
    } catch (err) {
      last = { ok: false, attempts: i, status: null, error: redact(String((err as Error).cause ?? err)) };
    }
    if (i < attempts) await sleep((o.baseDelayMs ?? 1000) * 2 ** (i - 1));
  }
  return last;
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
