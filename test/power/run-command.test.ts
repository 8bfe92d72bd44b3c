import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../lib/package-root.js';
import { silentLogger } from '../../lib/logger.js';
import { runPowerCommand } from '../../power/run-command.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = (name: string) => join(packageRoot(), 'test', 'fixtures', name);
const fast = { log: silentLogger(), backoffMs: () => 10 };

describe('runPowerCommand (real processes)', () => {
  test('arguments with spaces and quotes reach the program as single arguments', async (t) => {
    const out = join(await tempDir(t), 'argv.jsonl');
    const r = await runPowerCommand([process.execPath, fixture('argv-echo.mjs'), out, 'rack "B3", shelf 2', "it's", '{literal}'], { ...fast, timeoutMs: 10_000, retries: 0 });
    assert.equal(r.ok, true);
    assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), ['rack "B3", shelf 2', "it's", '{literal}']);
  });

  test('a failing command is retried, then reported with its exit code and redacted output', async (t) => {
    const counter = join(await tempDir(t), 'runs');
    const r = await runPowerCommand([process.execPath, fixture('fail-counting.mjs'), counter, '3'], { ...fast, timeoutMs: 10_000, retries: 2 });
    assert.equal(r.ok, false);
    assert.equal(r.tries, 3);
    assert.equal(r.exitCode, 3);
    assert.equal(r.reason, 'exit code 3');
    assert.equal((await readFile(counter, 'utf8')).split('\n').filter(Boolean).length, 3);
    assert.match(r.tail, /password=\*\*\*/);
    assert.doesNotMatch(r.tail, /hunter2/);
  });

  test('a command that hangs is killed at its timeout', async (t) => {
    const marker = join(await tempDir(t), 'started');
    const t0 = Date.now();
    const r = await runPowerCommand([process.execPath, fixture('hang.mjs'), marker], { ...fast, timeoutMs: 800, retries: 0 });
    assert.equal(r.ok, false);
    assert.match(r.reason, /timed out after 0.8 s \(killed\)/);
    const pid = Number(/started (\d+)/.exec(await readFile(marker, 'utf8'))![1]);
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the hung process is gone');
    assert.ok(Date.now() - t0 < 8000);
  });

  test('a command that does not exist -> not ok, says why', async () => {
    const r = await runPowerCommand(['/nonexistent/ipmitool', 'x'], { ...fast, timeoutMs: 1000, retries: 0 });
    assert.equal(r.ok, false);
    assert.match(r.reason, /ENOENT|not found|nonexistent/);
  });

  test('a secret from the environment at the start of the kept tail -> masked whole, no part of it kept', async (t) => {
    const secret = 'Zq7-hunter2-bmc-Xk9';
    process.env.TBX_TEST_BMC_PASSWORD = secret;
    t.after(() => delete process.env.TBX_TEST_BMC_PASSWORD);
    // 19 + 390 + newline = 410 characters: the last 400 begin inside the secret.
    const r = await runPowerCommand([process.execPath, '-e', 'console.log(process.env.TBX_TEST_BMC_PASSWORD + "y".repeat(390)); process.exit(3)'], { ...fast, timeoutMs: 10_000, retries: 0 });
    assert.equal(r.exitCode, 3);
    assert.equal(r.tail, `***${'y'.repeat(390)}`);
  });
});
