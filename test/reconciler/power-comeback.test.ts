import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { allStores } from '../../imaging/stores.js';
import { createLogger } from '../../lib/logger.js';
import { packageRoot } from '../../lib/package-root.js';
import { runPass } from '../../reconciler/pass.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = (name: string) => join(packageRoot(), 'test', 'fixtures', name);
type Line = { level: number; msg: string; box?: string; ok?: boolean; detail?: string; condition?: string; reason?: string; message?: string };

/** A box whose backup r1 Succeeded at 10:01, with `power` on the site; passes log at debug into `lines`. */
async function succeededBox(t: Parameters<typeof tempDir>[0], power: Record<string, unknown>) {
  const root = await tempDir(t);
  const repo = await makeFleetRepo(root, { 'fleet.yaml': { ...seedSite(), power }, 'testboxes/tb-a.yaml': box('tb-a', '127.0.0.1', { action: 'backup', request: 'r1' }) });
  await repo.commit({ 'status/tb-a.yaml': { apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'tb-a', ip: '127.0.0.1', request: 'r1', action: 'backup', attempt: 1, phase: 'Succeeded', startedAt: '2026-11-24T10:00:00Z', finishedAt: '2026-11-24T10:01:00Z' } }, 'tb-a: backup Succeeded (request r1)');
  const shares = await makeShares(root, { withDefault: true });
  const lines: Line[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) } });
  const pass = (now: string) => runPass({ fleet: repo.bare, tftpRoot: shares.tftp, backupRoot: shares.backup, stateDir: shares.state, stores: allStores(), log, now: () => new Date(now) });
  return { repo, lines, pass };
}

describe('power: the comeback check honours the configured timeout and is logged', () => {
  test('checkCommand slower than timeoutSeconds: 1 -> killed at 1 s (not a built-in 5 s), logged, still waiting', { timeout: 30_000 }, async (t) => {
    const w = await succeededBox(t, { checkCommand: [process.execPath, fixture('exit-after.mjs'), '3000'], timeoutSeconds: 1 });
    const r = await w.pass('2026-11-24T10:05:00Z');
    assert.deepEqual(r.plan?.awaitingComeback, ['tb-a'], 'a check that needs 3 s fails with a 1 s limit');
    assert.match(r.plan!.boxes[0]!.reason, /waiting for the box to come back \(until 2026-11-24T10:16:00Z\): .*: timed out after 1 s/);
    const check = w.lines.find((l) => l.msg === 'comeback check');
    assert.equal(check?.level, 20, 'each check result is logged at debug');
    assert.deepEqual({ box: check?.box, ok: check?.ok }, { box: 'tb-a', ok: false });
    assert.match(check!.detail!, /timed out after 1 s/);
  });

  test('checkCommand passes -> Verified recorded and logged at info', { timeout: 30_000 }, async (t) => {
    const w = await succeededBox(t, { checkCommand: [process.execPath, fixture('exit-after.mjs'), '0'], timeoutSeconds: 10 });
    await w.pass('2026-11-24T10:05:00Z');
    assert.equal((await w.repo.log())[0], 'tb-a: backup Verified (request r1)');
    assert.ok(w.lines.some((l) => l.msg === 'comeback check' && l.level === 20 && l.ok === true));
    const verdict = w.lines.find((l) => l.condition === 'Verified');
    assert.deepEqual({ level: verdict?.level, msg: verdict?.msg, box: verdict?.box }, { level: 30, msg: 'box came back: Verified', box: 'tb-a' });
  });

  test('checkCommand still failing after the deadline -> Unverified logged at info with the reason', { timeout: 30_000 }, async (t) => {
    const w = await succeededBox(t, { checkCommand: [process.execPath, fixture('exit-after.mjs'), '0', '255'], timeoutSeconds: 10, comebackMinutes: 15 });
    await w.pass('2026-11-24T10:17:00Z');
    assert.equal((await w.repo.log())[0], 'tb-a: backup Unverified (request r1)');
    const verdict = w.lines.find((l) => l.condition === 'Unverified');
    assert.equal(verdict?.level, 30);
    assert.equal(verdict?.msg, 'box did not come back: Unverified');
    assert.equal(verdict?.reason, 'ComebackTimeout');
    assert.match(verdict!.message!, /did not come back within 15 min of finishing backup: .*exit code 255/);
  });
});

describe('power: checks first configured after old requests finished', () => {
  test('Succeeded days before the pass -> the check never runs, nothing is committed, no notification is due', async (t) => {
    const ran = join(await tempDir(t), 'checked');
    const w = await succeededBox(t, { checkCommand: [process.execPath, fixture('argv-echo.mjs'), ran, '{name}'] });
    const before = await w.repo.log();
    const r = await w.pass('2026-11-27T09:00:00Z');
    assert.equal(await access(ran).then(() => true, () => false), false, 'the check command did not run');
    assert.deepEqual(await w.repo.log(), before, 'no Verified or Unverified note');
    assert.deepEqual(r.plan?.awaitingComeback, []);
    assert.equal(w.lines.some((l) => l.msg === 'comeback check'), false);
  });
});

