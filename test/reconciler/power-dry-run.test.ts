import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { allStores } from '../../imaging/stores.js';
import { packageRoot } from '../../lib/package-root.js';
import { silentLogger } from '../../lib/logger.js';
import { runPass } from '../../reconciler/pass.js';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = (name: string) => join(packageRoot(), 'test', 'fixtures', name);
const exists = (p: string) => access(p).then(() => true, () => false);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
/** A Succeeded status that finished `agoMs` before `now` (the CLI runs on the real clock). */
const succeeded = (name: string, ip: string, now = Date.parse('2026-11-24T10:02:00Z'), agoMs = 60_000) => ({ apiVersion: 'tbx/v1', kind: 'TestboxStatus', name, ip, request: 'r1', action: 'backup', attempt: 1, phase: 'Succeeded', startedAt: iso(now - agoMs - 60_000), finishedAt: iso(now - agoMs) });

/**
 * `tbx plan --fleet .` is the documented pull-request check: it runs on a checkout of an
 * unmerged change. Nothing the change configures may run there.
 */
describe('power: a dry run never runs a configured command', () => {
  test('plan of a PR with a checkCommand and a rebootCommand -> neither runs; the plan says what a pass would do', async (t) => {
    const root = await tempDir(t);
    const ran = join(root, 'PWNED');
    const argv = [process.execPath, fixture('argv-echo.mjs'), ran, '{name}'];
    const repo = await makeFleetRepo(root, {
      'fleet.yaml': { ...seedSite(), power: { rebootCommand: argv, checkCommand: argv } },
      'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }),
      'testboxes/tb-b.yaml': box('tb-b', '10.0.0.11', { action: 'backup', request: 'r1' }),
    });
    await repo.commit({ 'status/tb-a.yaml': succeeded('tb-a', '10.0.0.10', Date.now()) }, 'tb-a: backup Succeeded (request r1)');
    const shares = await makeShares(root, { withDefault: true });
    const plan = await runTbx(['plan', '--fleet', repo.work], { TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state });
    assert.equal(plan.exitCode, 2, plan.all);
    assert.equal(await exists(ran), false, 'no configured command ran on the plan host');
    assert.match(plan.stdout, /tb-a .*would run the comeback check: .*argv-echo\.mjs .*PWNED tb-a/);
    assert.match(plan.stdout, /! reboot tb-b: /);
    const md = await runTbx(['plan', '--fleet', repo.work, '--format', 'markdown'], { TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state });
    assert.equal(md.exitCode, 2, md.all);
    assert.equal(await exists(ran), false);
  });

  test('dry run with check: {tcp: N} -> no connection is made, nothing recorded', async (t) => {
    const root = await tempDir(t);
    let connections = 0;
    const listener = createServer((s) => {
      connections++;
      s.end();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    t.after(() => listener.close());
    const port = (listener.address() as { port: number }).port;
    const repo = await makeFleetRepo(root, {
      'fleet.yaml': { ...seedSite(), power: { check: { tcp: port } } },
      'testboxes/tb-a.yaml': box('tb-a', '127.0.0.1', { action: 'backup', request: 'r1' }),
    });
    await repo.commit({ 'status/tb-a.yaml': succeeded('tb-a', '127.0.0.1') }, 'tb-a: backup Succeeded (request r1)');
    const shares = await makeShares(root, { withDefault: true });
    const r = await runPass({ fleet: repo.work, tftpRoot: shares.tftp, backupRoot: shares.backup, stateDir: shares.state, stores: allStores(), log: silentLogger(), dryRun: true, now: () => new Date('2026-11-24T10:20:00Z') });
    assert.equal(r.outcome, 'planned');
    assert.equal(connections, 0, 'the plan did not connect to the box');
    assert.deepEqual(r.plan!.boxes[0]!.changes, [], 'past the deadline, yet no Unverified: the check did not run');
    assert.match(r.plan!.boxes[0]!.reason, /would run the comeback check: tcp 127\.0\.0\.1:\d+/);
  });
});
