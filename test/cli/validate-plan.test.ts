import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../lib/package-root.js';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

describe('tbx validate', () => {
  test('valid fleet -> exit 0 and a one-line summary', async () => {
    const r = await runTbx(['validate', join(packageRoot(), 'fleet', 'example')]);
    assert.equal(r.exitCode, 0, r.all);
    assert.match(r.stdout, /fleet is valid: 3 testbox\(es\)/);
  });

  test('invalid fleet -> exit 1, file:line:col per error; github and json formats', async (t) => {
    const root = await tempDir(t);
    const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/a.yaml': box('a', '10.0.0.5', { action: 'restore' }), 'testboxes/b.yaml': box('b', '10.0.0.5') });
    const text = await runTbx(['validate', repo.work]);
    assert.equal(text.exitCode, 1);
    assert.match(text.stdout, /^testboxes\/a\.yaml:5:1: error: missing 'request': action 'restore' needs a request id/m);
    assert.match(text.stdout, /^testboxes\/b\.yaml:4:1: error: duplicate ip 10\.0\.0\.5/m);
    const gh = await runTbx(['validate', '--format', 'github', repo.work]);
    assert.equal(gh.exitCode, 1);
    assert.match(gh.stdout, /^::error file=testboxes\/b\.yaml,line=4,col=1,title=tbx duplicate-ip::duplicate ip/m);
    const json = await runTbx(['validate', '--format', 'json', repo.work]);
    const parsed = JSON.parse(json.stdout) as { valid: boolean; diagnostics: { file: string }[] };
    assert.equal(parsed.valid, false);
    assert.ok(parsed.diagnostics.some((d) => d.file === 'testboxes/a.yaml'));
  });
});

describe('tbx plan exit codes (terraform -detailed-exitcode)', () => {
  test('0 when nothing would change, 2 when changes are pending, 1 on an invalid fleet; never writes', async (t) => {
    const root = await tempDir(t);
    const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/a.yaml': box('a', '10.0.0.5') });
    const shares = await makeShares(root, { withDefault: true });
    const env = { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state };
    assert.equal((await runTbx(['plan'], env)).exitCode, 0);
    await repo.commit({ 'testboxes/a.yaml': box('a', '10.0.0.5', { action: 'backup', request: 'r1' }) }, 'back up a');
    const pending = await runTbx(['plan', '--json'], env);
    assert.equal(pending.exitCode, 2, pending.all);
    const plan = JSON.parse(pending.stdout) as { boxes: { name: string; outcome: string }[]; changes: number };
    assert.deepEqual(plan.boxes.map((b) => [b.name, b.outcome]), [['a', 'create']]);
    assert.equal(plan.changes, 1);
    assert.equal((await runTbx(['plan'], env)).exitCode, 2, 'plan changed nothing, so the change is still pending');
    await repo.commit({ 'testboxes/a.yaml': 'kind: [' }, 'broken');
    const bad = await runTbx(['plan'], env);
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stderr, /testboxes\/a\.yaml:1:\d+: error: YAML/);
  });

  test('a plan of a local checkout reads its working tree (the PR check case)', async (t) => {
    const root = await tempDir(t);
    const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/a.yaml': box('a', '10.0.0.5') });
    const shares = await makeShares(root, { withDefault: true });
    await import('node:fs/promises').then((fs) => fs.writeFile(join(repo.work, 'testboxes', 'a.yaml'), 'apiVersion: tbx/v1\nkind: Testbox\nname: a\nip: 10.0.0.5\naction: backup\nrequest: pr-1\n'));
    const r = await runTbx(['plan', '--fleet', repo.work, '--tftp', shares.tftp, '--backup', shares.backup, '--state-dir', shares.state]);
    assert.equal(r.exitCode, 2, r.all);
    assert.match(r.stdout, /a +10\.0\.0\.5 +backup +pr-1 +create/);
  });

  test('reconcile of a local checkout -> exit 1 before any write, naming the repo it was cloned from', async (t) => {
    const root = await tempDir(t);
    const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/a.yaml': box('a', '10.0.0.5', { action: 'backup', request: 'r1' }) });
    const shares = await makeShares(root, { withDefault: true });
    const r = await runTbx(['reconcile', '--fleet', repo.work, '--tftp', shares.tftp, '--backup', shares.backup, '--state-dir', shares.state]);
    assert.equal(r.exitCode, 1, r.all);
    assert.match(r.stderr, new RegExp(`is a working checkout; .* Point it at the repo it was cloned from: --fleet ${repo.bare.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.deepEqual(await import('node:fs/promises').then((fs) => fs.readdir(shares.cfg)), ['default']);
    const ok = await runTbx(['reconcile', '--fleet', repo.bare, '--tftp', shares.tftp, '--backup', shares.backup, '--state-dir', shares.state]);
    assert.equal(ok.exitCode, 0, ok.all);
  });

  test('missing --tftp says which flag and variable', async () => {
    const r = await runTbx(['plan', '--fleet', '/nonexistent']);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /missing --tftp \(or set TBX_TFTP_ROOT\)/);
  });
});
