import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../lib/package-root.js';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = (name: string) => join(packageRoot(), 'test', 'fixtures', name);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const exitWith = (code: number) => [process.execPath, fixture('exit-after.mjs'), '0', String(code)];

/**
 * tb-a comes back (its check passes), tb-b does not (its check fails and the agent finished
 * 20 minutes ago, past the 15 min deadline), tb-c has a new request and its reboot command fails.
 * The CLI runs on the real clock, so the statuses are dated relative to it.
 */
async function fleet(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t);
  const now = Date.now();
  const succeeded = (name: string, ip: string) => ({ apiVersion: 'tbx/v1', kind: 'TestboxStatus', name, ip, request: 'r1', action: 'backup', attempt: 1, phase: 'Succeeded', startedAt: iso(now - 25 * 60_000), finishedAt: iso(now - 20 * 60_000) });
  const repo = await makeFleetRepo(root, {
    'fleet.yaml': { ...seedSite(), power: { checkCommand: exitWith(0), comebackMinutes: 15, retries: 0 } },
    'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }),
    'testboxes/tb-b.yaml': box('tb-b', '10.0.0.11', { action: 'backup', request: 'r1', power: { checkCommand: exitWith(255) } }),
    'testboxes/tb-c.yaml': box('tb-c', '10.0.0.12', { action: 'backup', request: 'r1', power: { rebootCommand: exitWith(7) } }),
  });
  await repo.commit({ 'status/tb-a.yaml': succeeded('tb-a', '10.0.0.10'), 'status/tb-b.yaml': succeeded('tb-b', '10.0.0.11') }, 'tb-a, tb-b: backup Succeeded (request r1)');
  const shares = await makeShares(root, { withDefault: true });
  return { env: { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state } };
}

describe('power: reviewers and admins see the comeback verdict and why', () => {
  test('tbx plan --format markdown -> the headline counts the reboots it would trigger', async (t) => {
    const w = await fleet(t);
    const md = await runTbx(['plan', '--format', 'markdown'], w.env);
    assert.equal(md.exitCode, 2, md.all);
    assert.match(md.stdout, /^### tbx plan: 1 to write, 0 to delete, 0 to commit, 1 reboot to trigger$/m);
  });

  test('after a pass: tbx status shows Verified, and Unverified and RebootFailed with their reasons; -o wide says why', async (t) => {
    const w = await fleet(t);
    const pass = await runTbx(['reconcile'], w.env);
    assert.equal(pass.exitCode, 1, 'the reboot of tb-c failed');
    const status = await runTbx(['status'], w.env);
    assert.equal(status.exitCode, 0, status.all);
    const row = (name: string) => status.stdout.split('\n').find((l) => l.startsWith(name)) ?? '';
    assert.match(row('tb-a'), /Succeeded .* Verified\s*$/);
    assert.match(row('tb-b'), /Succeeded .* Unverified\(ComebackTimeout\)\s*$/);
    assert.match(row('tb-c'), /Pending .* RebootFailed\(CommandFailed\)\s*$/);
    const wide = await runTbx(['status', '-o', 'wide'], w.env);
    const wideRow = (name: string) => wide.stdout.split('\n').find((l) => l.startsWith(name)) ?? '';
    assert.match(wideRow('tb-b'), /Unverified: did not come back within 15 min of finishing backup: .*exit code 255 \(exiting with 255 after 0 ms\)/);
    assert.match(wideRow('tb-c'), /RebootFailed: reboot command .* failed after 1 tries: exit code 7/);
    assert.match(wideRow('tb-a'), /Verified: came back after backup: .* exited 0/);
  });

  test('after a pass: tbx history shows the Verified and Unverified notes with reason, and the result they qualify', async (t) => {
    const w = await fleet(t);
    await runTbx(['reconcile'], w.env);
    const a = await runTbx(['history', 'tb-a'], w.env);
    assert.equal(a.exitCode, 0, a.all);
    assert.match(a.stdout, /^ {2}verified {3}\S+ \S+ {2}CheckPassed: came back after backup: .* exited 0$/m);
    assert.match(a.stdout, /^ {2}result {5}Succeeded, Verified$/m);
    const b = await runTbx(['history', 'tb-b'], w.env);
    assert.match(b.stdout, /^ {2}unverified \S+ \S+ {2}ComebackTimeout: did not come back within 15 min of finishing backup: .*exit code 255/m);
    assert.match(b.stdout, /^ {2}result {5}Succeeded, Unverified$/m);
    const c = await runTbx(['history', 'tb-c'], w.env);
    assert.match(c.stdout, /^ {2}rebootfailed \S+ \S+ {2}CommandFailed: reboot command .* failed after 1 tries: exit code 7/m);
  });
});
