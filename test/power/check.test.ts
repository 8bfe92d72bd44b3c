import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { tcpCheck } from '../../power/check.js';

describe('tcpCheck (real listener on loopback)', () => {
  test('closed port -> not ok; once something listens -> ok', async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const before = await tcpCheck('127.0.0.1', port, 1000);
    assert.equal(before.ok, false);
    assert.match(before.detail, /ECONNREFUSED/);
    const late = createServer((s) => s.end());
    await new Promise<void>((r) => late.listen(port, '127.0.0.1', r));
    try {
      const after = await tcpCheck('127.0.0.1', port, 1000);
      assert.equal(after.ok, true, after.detail);
    } finally {
      late.close();
    }
  });
});
