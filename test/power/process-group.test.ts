import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { execa } from 'execa';
import { packageRoot } from '../../lib/package-root.js';
import { silentLogger } from '../../lib/logger.js';
import { runCheck } from '../../power/check.js';
import { POWER_DEFAULTS } from '../../power/resolve.js';
import { runPowerCommand } from '../../power/run-command.js';
import { killIfAlive, survivors } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = (name: string) => join(packageRoot(), 'test', 'fixtures', name);
// Without process groups these calls wait for the grandchild (two minutes): the test's own limit fails them.
const LIMIT = { timeout: 30_000 };

/** The pids the fixture wrote: the command's own and its child's; both are killed after the test whatever happens. */
async function pids(t: TestContext, file: string): Promise<{ leader: number; grandchild: number }> {
  const [leader, grandchild] = (await readFile(file, 'utf8')).trim().split(' ').map(Number);
  t.after(() => {
    killIfAlive(leader!);
    killIfAlive(grandchild!);
  });
  return { leader: leader!, grandchild: grandchild! };
}

async function assertGroupGone(p: { leader: number; grandchild: number }): Promise<void> {
  assert.deepEqual(await survivors([p.leader, p.grandchild], p.leader), [], `the command ${p.leader}, its child ${p.grandchild} and every other process of its group are gone`);
}

describe('power commands run in their own process group (real processes)', () => {
  test('a hung command whose child holds its pipes -> the whole group is killed at the timeout', LIMIT, async (t) => {
    const file = join(await tempDir(t), 'pids');
    const r = await runPowerCommand([process.execPath, fixture('spawn-grandchild.mjs'), file, 'hang'], { log: silentLogger(), timeoutMs: 1000, retries: 0 });
    assert.equal(r.ok, false);
    assert.equal(r.reason, 'timed out after 1 s (killed)');
    assert.match(r.tail, /started/, 'the output before the kill is kept');
    await assertGroupGone(await pids(t, file));
  });

  test('a command that exits but leaves a child holding its pipes -> ok, and the leftover child is killed', LIMIT, async (t) => {
    const file = join(await tempDir(t), 'pids');
    const r = await runPowerCommand([process.execPath, fixture('spawn-grandchild.mjs'), file, 'exit'], { log: silentLogger(), timeoutMs: 60_000, retries: 0 });
    assert.equal(r.ok, true, r.reason);
    await assertGroupGone(await pids(t, file));
  });

  test('a hung checkCommand -> not ok, says after how long, and its whole group is killed', LIMIT, async (t) => {
    const file = join(await tempDir(t), 'pids');
    const r = await runCheck({ ...POWER_DEFAULTS }, '10.0.0.10', [process.execPath, fixture('spawn-grandchild.mjs'), file, 'hang'], 1000);
    assert.equal(r?.ok, false);
    assert.match(r!.detail, /timed out after 1 s/);
    await assertGroupGone(await pids(t, file));
  });
});

describe('tbx is terminated while a power command runs', () => {
  async function started(file: string): Promise<void> {
    // Bounded wait for the fixture to start its command (not a timing assertion).
    for (let i = 0; i < 200; i++) {
      if (await access(file).then(() => true, () => false)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the command never started');
  }

  test('SIGTERM, nothing else handles it (one-shot reconcile) -> the group is killed, tbx dies of the signal', LIMIT, async (t) => {
    const file = join(await tempDir(t), 'pids');
    const reconciler = execa(process.execPath, [fixture('power-run.mjs'), process.execPath, fixture('spawn-grandchild.mjs'), file, 'hang'], { reject: false });
    await started(file);
    const p = await pids(t, file);
    reconciler.kill('SIGTERM');
    const r = await reconciler;
    assert.equal(r.signal, 'SIGTERM', 'the signal still ends the process as before');
    await assertGroupGone(p);
  });

  test('SIGTERM handled by the caller (--watch) -> the group is killed, the command reports interrupted and is not retried', LIMIT, async (t) => {
    const file = join(await tempDir(t), 'pids');
    const reconciler = execa(process.execPath, [fixture('power-run.mjs'), '--listen', process.execPath, fixture('spawn-grandchild.mjs'), file, 'hang'], { reject: false });
    await started(file);
    const p = await pids(t, file);
    reconciler.kill('SIGTERM');
    const r = await reconciler;
    assert.equal(r.exitCode, 0, r.stderr);
    const outcome = JSON.parse(r.stdout) as { ok: boolean; interrupted: boolean; tries: number; reason: string };
    assert.deepEqual({ ok: outcome.ok, interrupted: outcome.interrupted, tries: outcome.tries }, { ok: false, interrupted: true, tries: 1 });
    assert.equal(outcome.reason, 'interrupted: tbx is stopping (SIGTERM)');
    await assertGroupGone(p);
  });
});
