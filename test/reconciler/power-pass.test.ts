import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
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

async function world(t: Parameters<typeof tempDir>[0], power: Record<string, unknown>, boxExtra: Record<string, unknown> = {}, ip = '10.0.0.10') {
  const root = await tempDir(t);
  const site = { ...seedSite(), power };
  const repo = await makeFleetRepo(root, { 'fleet.yaml': site, 'testboxes/tb-a.yaml': box('tb-a', ip, { action: 'backup', request: 'r1', labels: { where: 'rack "B3", shelf 2' }, ...boxExtra }) });
  const shares = await makeShares(root, { withDefault: true });
  const pass = (now?: Date) => runPass({ fleet: repo.bare, tftpRoot: shares.tftp, backupRoot: shares.backup, stateDir: shares.state, stores: allStores(), log: silentLogger(), ...(now ? { now: () => now } : {}) });
  return { root, repo, shares, pass, env: { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state } };
}

describe('power: reboot after writing a config', () => {
  test('plan shows the reboot; the pass runs it right after the write, placeholders as single arguments', async (t) => {
    const out = join(await tempDir(t), 'argv.jsonl');
    const w = await world(t, { rebootCommand: [process.execPath, fixture('argv-echo.mjs'), out, '{name}', '{hexip}', '{labels.where}', '{request}'] });
    const plan = await runTbx(['plan'], w.env);
    assert.equal(plan.exitCode, 2);
    assert.match(plan.stdout, /! reboot tb-a: .*argv-echo\.mjs .* tb-a 0A00000A "rack \\"B3\\", shelf 2" r1/);
    assert.match(plan.stdout, /1 reboot\(s\) to trigger/);
    const r = await w.pass();
    assert.deepEqual(r.apply?.failed, []);
    assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), ['tb-a', '0A00000A', 'rack "B3", shelf 2', 'r1']);
    // the next pass keeps the config and does not reboot again
    await w.pass();
    assert.equal((await readFile(out, 'utf8')).trim().split('\n').length, 1);
  });

  test('reboot command keeps failing -> retried, RebootFailed committed to git, config stays', async (t) => {
    const counter = join(await tempDir(t), 'runs');
    const w = await world(t, { rebootCommand: [process.execPath, fixture('fail-counting.mjs'), counter, '7'], retries: 1, timeoutSeconds: 10 });
    const r = await w.pass();
    assert.equal(r.apply?.failed.length, 1);
    assert.match(r.apply!.failed[0]!.error, /failed after 2 tries: exit code 7/);
    assert.equal((await readFile(counter, 'utf8')).trim().split('\n').length, 2);
    assert.ok(await exists(join(w.shares.cfg, '0A00000A')), 'config stays for the next natural reboot');
    assert.equal((await w.repo.log())[0], 'tb-a: backup RebootFailed (request r1)');
    await w.repo.pull();
    const note = parse(await readFile(join(w.repo.work, 'notes', 'tb-a.yaml'), 'utf8'));
    assert.equal(note.conditions[0].type, 'RebootFailed');
    assert.doesNotMatch(JSON.stringify(note), /hunter2/, 'command output is redacted');
    const status = await runTbx(['status'], w.env);
    assert.match(status.stdout, /RebootFailed/);
  });

  test('power: manual on the box -> config written, nothing run', async (t) => {
    const out = join(await tempDir(t), 'argv.jsonl');
    const w = await world(t, { rebootCommand: [process.execPath, fixture('argv-echo.mjs'), out] }, { power: 'manual' });
    await w.pass();
    assert.ok(await exists(join(w.shares.cfg, '0A00000A')));
    assert.equal(await exists(out), false);
  });

  test('a label the command needs is missing -> validation error, nothing written', async (t) => {
    const w = await world(t, { rebootCommand: ['ipmitool', '-H', '{labels.bmc}'] });
    const r = await runTbx(['reconcile'], w.env);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /testboxes\/tb-a\.yaml:\d+:\d+: error: power\.rebootCommand uses \{labels\.bmc\}/);
    assert.equal(await exists(join(w.shares.cfg, '0A00000A')), false);
  });
});

describe('power: comeback check on a real TCP listener', () => {
  async function succeeded(w: Awaited<ReturnType<typeof world>>) {
    await w.repo.commit({ 'status/tb-a.yaml': { apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'tb-a', ip: '127.0.0.1', request: 'r1', action: 'backup', attempt: 1, phase: 'Succeeded', startedAt: '2026-11-24T10:00:00Z', finishedAt: '2026-11-24T10:01:00Z' } }, 'tb-a: backup Succeeded (request r1)');
  }
  async function freePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }

  test('the port opens late -> waiting first, then Verified', async (t) => {
    const port = await freePort();
    const w = await world(t, { check: { tcp: port } }, {}, '127.0.0.1');
    await succeeded(w);
    const early = await w.pass(new Date('2026-11-24T10:03:00Z'));
    assert.deepEqual(early.plan?.awaitingComeback, ['tb-a']);
    assert.match(early.plan!.boxes[0]!.reason, /waiting for the box to come back/);
    const listener = createServer((s) => s.end());
    await new Promise<void>((r) => listener.listen(port, '127.0.0.1', r));
    t.after(() => listener.close());
    const later = await w.pass(new Date('2026-11-24T10:05:00Z'));
    assert.deepEqual(later.plan?.awaitingComeback, []);
    assert.equal((await w.repo.log())[0], 'tb-a: backup Verified (request r1)');
  });

  test('the port never opens -> Unverified once the deadline has passed', async (t) => {
    const port = await freePort();
    const w = await world(t, { check: { tcp: port }, comebackMinutes: 15 }, {}, '127.0.0.1');
    await succeeded(w);
    const within = await w.pass(new Date('2026-11-24T10:15:59Z'));
    assert.deepEqual(within.plan?.awaitingComeback, ['tb-a']);
    await w.pass(new Date('2026-11-24T10:16:01Z'));
    const log = await w.repo.log();
    assert.equal(log[0], 'tb-a: backup Unverified (request r1)');
    await w.repo.pull();
    const note = parse(await readFile(join(w.repo.work, 'notes', 'tb-a.yaml'), 'utf8'));
    assert.match(note.conditions[0].message, /did not come back within 15 min.*ECONNREFUSED/);
  });
});
