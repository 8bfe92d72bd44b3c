import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { deliverWebhook } from '../../telemetry/webhook.js';
import { hookServer } from '../helpers/http.js';

test('webhook answering 503 then 200 -> delivered on the second attempt, signed, JSON body', async (t) => {
  const hook = await hookServer(t, [503, 200]);
  const slept: number[] = [];
  const d = await deliverWebhook({ hello: 'world' }, { url: hook.url, secret: 's3cret', baseDelayMs: 5, sleep: async (ms) => void slept.push(ms) });
  assert.deepEqual(d, { ok: true, attempts: 2, status: 200, error: null });
  assert.deepEqual(slept, [5]);
  assert.equal(hook.got.length, 2);
  assert.equal(hook.got[1]!.headers['content-type'], 'application/json');
  assert.equal(hook.got[1]!.headers['x-tbx-signature'], `sha256=${createHmac('sha256', 's3cret').update(hook.got[1]!.body).digest('hex')}`);
  assert.deepEqual(JSON.parse(hook.got[1]!.body), { hello: 'world' });
});

test('webhook answering 400 -> not retried', async (t) => {
  const hook = await hookServer(t, [400]);
  const d = await deliverWebhook({}, { url: hook.url, baseDelayMs: 1 });
  assert.equal(d.ok, false);
  assert.equal(d.attempts, 1);
  assert.equal(d.status, 400);
});

test('webhook nobody listens on -> every attempt made, error reported, no throw', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const d = await deliverWebhook({}, { url: `http://127.0.0.1:${port}/hook`, attempts: 2, baseDelayMs: 1 });
  assert.equal(d.ok, false);
  assert.equal(d.attempts, 2);
  assert.match(d.error ?? '', /ECONNREFUSED/);
});
