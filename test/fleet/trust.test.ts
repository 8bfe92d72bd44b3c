import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { git } from '../helpers/git.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const AGENT_B = { name: 'tbx agent (tb-b)', email: 'tbx-agent+tb-b@localhost' };

async function world(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t);
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10'), 'testboxes/tb-b.yaml': box('tb-b', '10.0.0.11') });
  const shares = await makeShares(root, { withDefault: true });
  return { root, repo, shares, env: { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state } };
}

describe('who may ask', () => {
  test("an agent's commit that requests a restore of another box -> refused and reported, nothing written; revert -> fine", async (t) => {
    const w = await world(t);
    const evil = await w.repo.commit({ 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'evil' }) }, 'tb-b: backup Succeeded (request x)', AGENT_B);
    const r = await runTbx(['reconcile'], w.env);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, new RegExp(`testboxes/tb-a\\.yaml:1:1: error: last changed by commit ${evil.slice(0, 12)} from the agent of tb-b, which may only change status/tb-b\\.yaml`));
    assert.deepEqual(await readdir(w.shares.cfg), ['default']);
    await git(w.repo.work, ['revert', '--no-edit', evil]);
    await git(w.repo.work, ['push', '--quiet', 'origin', 'HEAD:main']);
    assert.equal((await runTbx(['reconcile'], w.env)).exitCode, 0);
  });

  test("an agent may write its own status, not another box's", async (t) => {
    const w = await world(t);
    const status = (name: string, ip: string) => ({ apiVersion: 'tbx/v1', kind: 'TestboxStatus', name, ip, request: 'r', action: 'backup', attempt: 1, phase: 'Succeeded', startedAt: '2026-11-24T10:00:00Z' });
    await w.repo.commit({ 'status/tb-b.yaml': status('tb-b', '10.0.0.11') }, 'tb-b: own status', AGENT_B);
    assert.equal((await runTbx(['reconcile'], w.env)).exitCode, 0);
    await w.repo.commit({ 'status/tb-a.yaml': status('tb-a', '10.0.0.10') }, 'tb-b: forging', AGENT_B);
    const r = await runTbx(['reconcile'], w.env);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /status\/tb-a\.yaml:1:1: error: .*agent of tb-b/);
  });

  test("an agent's commit deleting another box's note (ending its Stalled request) -> refused and reported", async (t) => {
    const w = await world(t);
    const note = { apiVersion: 'tbx/v1', kind: 'TestboxNote', name: 'tb-a', request: 'r1', conditions: [{ type: 'Stalled', reason: 'MaxAttempts', message: '3 of 3 attempts failed', at: '2026-11-24T10:00:00Z' }] };
    await w.repo.commit({ 'notes/tb-a.yaml': note }, 'tb-a: restore Stalled (request r1)', { name: 'tbx reconciler', email: 'tbx-reconciler@localhost' });
    assert.equal((await runTbx(['reconcile'], w.env)).exitCode, 0);
    const evil = await w.repo.commit({ 'notes/tb-a.yaml': null }, 'tb-b: backup Succeeded (request x)', AGENT_B);
    const r = await runTbx(['reconcile'], w.env);
    assert.equal(r.exitCode, 1, r.all);
    assert.match(r.stderr, new RegExp(`notes/tb-a\\.yaml:1:1: error: deleted by commit ${evil.slice(0, 12)} from the agent of tb-b`));
  });

  test('--protected-branch: a revision not yet in main is refused; once merged it is acted on', async (t) => {
    const w = await world(t);
    await git(w.repo.work, ['push', '--quiet', 'origin', 'main:deploy']);
    await git(w.repo.work, ['checkout', '--quiet', '-b', 'deploy']);
    await writeFile(join(w.repo.work, 'testboxes', 'tb-a.yaml'), stringify(box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' })));
    await git(w.repo.work, ['commit', '--quiet', '-am', 'sneaky']);
    await git(w.repo.work, ['push', '--quiet', 'origin', 'deploy']);
    const env = { ...w.env, TBX_BRANCH: 'deploy', TBX_PROTECTED_BRANCH: 'main' };
    const r = await runTbx(['reconcile'], env);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /is not on the protected branch main/);
    assert.deepEqual(await readdir(w.shares.cfg), ['default']);
    await git(w.repo.work, ['push', '--quiet', 'origin', 'deploy:main']);
    assert.equal((await runTbx(['reconcile'], env)).exitCode, 0);
    assert.ok((await readdir(w.shares.cfg)).includes('0A00000A'));
  });

  test('--allowed-signers: unsigned desired-state change refused; signed by an allowed key accepted; agent statuses need no signature', async (t) => {
    const w = await world(t);
    const keys = await tempDir(t);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ada', '-f', join(keys, 'ada')]);
    const pub = (await readFile(join(keys, 'ada.pub'), 'utf8')).trim();
    const signers = join(keys, 'allowed_signers');
    await writeFile(signers, `ada@lab.test namespaces="git" ${pub}\n`);
    const anchor = (await git(w.repo.work, ['rev-parse', 'HEAD'])).trim();
    const env = { ...w.env, TBX_ALLOWED_SIGNERS: signers, TBX_SIGNED_SINCE: anchor };
    await w.repo.commit({ 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }) }, 'unsigned request');
    const r = await runTbx(['reconcile'], env);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /testboxes\/tb-a\.yaml:1:1: error: commit [0-9a-f]{12} changed testboxes\/tb-a\.yaml without a signature from an allowed key/);
    // plan in a PR check shows it as a warning instead
    const plan = await runTbx(['plan'], env);
    assert.equal(plan.exitCode, 2, plan.all);
    assert.match(plan.stdout, /Warning: .*once merged: commit/);
    // the admin re-does the change as a signed commit
    await writeFile(join(w.repo.work, 'testboxes', 'tb-a.yaml'), stringify(box('tb-a', '10.0.0.10', { action: 'backup', request: 'r2' })));
    await git(w.repo.work, ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${join(keys, 'ada')}`, 'commit', '--quiet', '-S', '-am', 'signed request']);
    await git(w.repo.work, ['push', '--quiet', 'origin', 'HEAD:main']);
    const r2 = await runTbx(['reconcile'], env);
    assert.equal(r2.exitCode, 1, 'the earlier unsigned commit is still in the history since the anchor');
    const signedHead = (await git(w.repo.work, ['rev-parse', 'HEAD'])).trim();
    const ok = await runTbx(['reconcile'], { ...env, TBX_SIGNED_SINCE: `${signedHead}^` });
    assert.equal(ok.exitCode, 0, ok.all);
    assert.ok((await readdir(w.shares.cfg)).includes('0A00000A'));
  });
});
