import assert from 'node:assert/strict';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { allStores } from '../../imaging/stores.js';
import { packageRoot } from '../../lib/package-root.js';
import { silentLogger } from '../../lib/logger.js';
import { applyPlan } from '../../reconciler/apply.js';
import { runPass } from '../../reconciler/pass.js';
import type { Change, Plan } from '../../reconciler/plan-types.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares, type Shares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = (name: string) => join(packageRoot(), 'test', 'fixtures', name);
const exists = (p: string) => access(p).then(() => true, () => false);
const IPS: Record<string, string> = { 'tb-a': '10.0.0.10', 'tb-b': '10.0.0.11', 'tb-c': '10.0.0.12' };

/** A fleet whose boxes all have a new backup request; `power` may use the shares' paths. */
async function fleetOf(t: Parameters<typeof tempDir>[0], names: string[], power: (s: Shares) => Record<string, unknown>) {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const files: Record<string, unknown> = { 'fleet.yaml': { ...seedSite(), power: power(shares) } };
  for (const n of names) files[`testboxes/${n}.yaml`] = box(n, IPS[n]!, { action: 'backup', request: 'r1' });
  const repo = await makeFleetRepo(root, files);
  return { repo, shares, pass: (rebootConcurrency?: number) => runPass({ fleet: repo.bare, tftpRoot: shares.tftp, backupRoot: shares.backup, stateDir: shares.state, stores: allStores(), log: silentLogger(), ...(rebootConcurrency ? { rebootConcurrency } : {}) }) };
}

describe('power: reboots run after all configs, side by side', () => {
  test('three boxes with new requests -> every config is written before the first reboot command runs', async (t) => {
    const out = join(await tempDir(t), 'seen.jsonl');
    const w = await fleetOf(t, ['tb-a', 'tb-b', 'tb-c'], (s) => ({ rebootCommand: [process.execPath, fixture('list-dir.mjs'), out, s.cfg, '{name}'] }));
    const r = await w.pass();
    assert.deepEqual(r.apply?.failed, []);
    const seen = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { label: string; files: string[] });
    assert.deepEqual(seen.map((x) => x.label).sort(), ['tb-a', 'tb-b', 'tb-c']);
    for (const x of seen) assert.deepEqual(x.files, ['0A00000A', '0A00000B', '0A00000C', 'default'], `when ${x.label} was rebooted`);
  });

  test('two reboot commands that wait for each other -> both succeed: they run at the same time', { timeout: 60_000 }, async (t) => {
    const meet = join(await tempDir(t), 'meet');
    await mkdir(meet);
    const w = await fleetOf(t, ['tb-a', 'tb-b'], () => ({ rebootCommand: [process.execPath, fixture('rendezvous.mjs'), meet, '{name}', '2'], retries: 0, timeoutSeconds: 30 }));
    const r = await w.pass();
    assert.deepEqual(r.apply?.failed, []);
    assert.deepEqual(r.apply!.applied.filter((c) => c.op === 'reboot').map((c) => (c as { box: string }).box).sort(), ['tb-a', 'tb-b']);
  });

  test('a limit of 1 -> the same two commands cannot meet: the limit holds', { timeout: 60_000 }, async (t) => {
    const meet = join(await tempDir(t), 'meet');
    await mkdir(meet);
    const w = await fleetOf(t, ['tb-a', 'tb-b'], () => ({ rebootCommand: [process.execPath, fixture('rendezvous.mjs'), meet, '{name}', '2'], retries: 0, timeoutSeconds: 30 }));
    const r = await w.pass(1);
    assert.equal(r.apply?.failed.length, 1, 'the first waited alone and gave up; the second found it checked in');
    assert.match(r.apply!.failed[0]!.error, /exit code 1; output: only 1 of 2 checked in/);
  });
});

describe('power: reboot only after that box\'s config was written', () => {
  const OWN = '# managed-by: tbx box=a request=r action=backup\nPATH bios\n';
  function planOf(changes: Change[]): Plan {
    return { revision: null, boxes: [{ name: 'a', ip: '10.0.0.5', hex: '0A000005', action: 'backup', request: 'r', outcome: 'create', reason: 'test', phase: null, attempt: null, changes }], siteChanges: [], unmanaged: [], diagnostics: [], maxConcurrent: 10, awaitingComeback: [] };
  }
  async function attempt(t: Parameters<typeof tempDir>[0], prepare: (cfg: string) => Promise<void>) {
    const s = await makeShares(await tempDir(t));
    await prepare(s.cfg);
    const ran = join(await tempDir(t), 'rebooted');
    const reboot: Change = { op: 'reboot', box: 'a', action: 'backup', request: 'r', argv: [process.execPath, fixture('argv-echo.mjs'), ran, 'a'], timeoutMs: 10_000, retries: 0, priorConditions: [] };
    const r = await applyPlan(planOf([{ op: 'write-pxe', box: 'a', hex: '0A000005', content: OWN, expect: null }, reboot]), { tftpRoot: s.tftp, backupRoot: s.backup, commit: null, log: silentLogger() });
    return { r, ran: await exists(ran) };
  }

  test('config write skipped as stale (a file appeared meanwhile) -> no reboot', async (t) => {
    const { r, ran } = await attempt(t, (cfg) => writeFile(join(cfg, '0A000005'), 'hand-made\n'));
    assert.equal(ran, false, 'the reboot command never ran');
    assert.deepEqual(r.skipped.map((x) => [x.change.op, x.reason]), [
      ['write-pxe', 'pxelinux.cfg/0A000005 changed since it was observed (stale plan)'],
      ['reboot', 'the config was not written in this pass; not rebooting'],
    ]);
  });

  test('config write failed (a directory is in the way) -> no reboot', async (t) => {
    const { r, ran } = await attempt(t, (cfg) => mkdir(join(cfg, '0A000005')));
    assert.equal(ran, false, 'the reboot command never ran');
    assert.deepEqual(r.failed.map((x) => x.change.op), ['write-pxe']);
    assert.deepEqual(r.skipped.map((x) => x.change.op), ['reboot']);
  });

  test('config written -> the reboot runs', async (t) => {
    const { r, ran } = await attempt(t, async () => undefined);
    assert.equal(ran, true);
    assert.deepEqual(r.applied.map((x) => x.op), ['write-pxe', 'reboot']);
  });
});
