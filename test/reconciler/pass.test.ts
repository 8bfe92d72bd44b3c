import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { execa } from 'execa';
import { packageRoot, tbxBin } from '../../lib/package-root.js';
import { acquirePassLock, LOCK_NAME } from '../../reconciler/lock.js';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';
import { hashTree } from '../helpers/tree.js';

async function site(t: Parameters<typeof tempDir>[0], files: Record<string, unknown>, opts: { withDefault?: boolean } = {}) {
  const root = await tempDir(t);
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), ...files });
  const shares = await makeShares(root, opts);
  const env = { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state };
  return { repo, shares, env };
}

describe('tbx reconcile (real git, real shares)', () => {
  test('a merged backup request -> config written with marker, default created, disk list written', async (t) => {
    const { repo, shares, env } = await site(t, { 'testboxes/tb-linux-01.yaml': box('tb-linux-01', '10.165.98.220', { disks: ['sda'] }) });
    await repo.mergePr(1, { 'testboxes/tb-linux-01.yaml': box('tb-linux-01', '10.165.98.220', { disks: ['sda'], action: 'backup', request: 'r1' }) }, 'back up tb-linux-01');
    const r = await runTbx(['reconcile'], env);
    assert.equal(r.exitCode, 0, r.all);
    const cfg = await readFile(join(shares.cfg, '0AA562DC'), 'utf8');
    assert.match(cfg, /^# managed-by: tbx box=tb-linux-01 request=r1 action=backup\n/);
    assert.match(cfg, /testbox-request=r1 testbox-name=tb-linux-01/);
    assert.match(await readFile(join(shares.cfg, 'default'), 'utf8'), /^DEFAULT local-boot$/m);
    assert.equal(await readFile(join(shares.backup, '10.165.98.220', 'disk-devices.lst'), 'utf8'), 'sda\n');
    assert.deepEqual((await readdir(shares.cfg)).filter((n) => n.includes('tmp')), [], 'no temp files left');
    // a second pass has nothing to do
    const plan = await runTbx(['plan', '--json'], env);
    assert.equal(plan.exitCode, 0, plan.all);
  });

  test('fail closed: one broken file -> exit 1 with file:line, and not one byte changes on either share', async (t) => {
    const a = box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' });
    const b = box('tb-b', '10.0.0.11', { action: 'backup', request: 'r1' });
    const { repo, shares, env } = await site(t, { 'testboxes/tb-a.yaml': a, 'testboxes/tb-b.yaml': b });
    assert.equal((await runTbx(['reconcile'], env)).exitCode, 0);
    const before = { tftp: await hashTree(shares.tftp), backup: await hashTree(shares.backup) };
    assert.ok(before.tftp['pxelinux.cfg/0A00000A'], 'box a is mid-action');
    // a typo that, if acted on, would set both boxes to "none" and wipe their configs
    await repo.commit({ 'testboxes/tb-a.yaml': 'apiVersion: tbx/v1\nkind: Testbox\nname: tb-a\nip: 10.0.0.10\naction: nonee\n', 'testboxes/tb-b.yaml': { ...b, action: 'none' } }, 'oops');
    const r = await runTbx(['reconcile'], env);
    assert.equal(r.exitCode, 1);
    assert.match(r.all, /testboxes\/tb-a\.yaml:5:\d+: error: action: must be one of/);
    assert.deepEqual(await hashTree(shares.tftp), before.tftp);
    assert.deepEqual(await hashTree(shares.backup), before.backup);
  });

  test('unmanaged files are reported and never touched; a foreign default stays', async (t) => {
    const a = box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' });
    const { shares, env } = await site(t, { 'testboxes/tb-a.yaml': a }, { withDefault: true });
    const foreignA = 'DEFAULT hand-made-by-the-admin\n';
    await writeFile(join(shares.cfg, '0A00000A'), foreignA);
    await writeFile(join(shares.cfg, '0A0000FF'), 'DEFAULT some other box\n');
    const defaultBefore = await readFile(join(shares.cfg, 'default'), 'utf8');
    const plan = await runTbx(['plan'], env);
    assert.match(plan.all, /tb-a .* blocked .*not written by tbx/);
    assert.match(plan.all, /Unmanaged: pxelinux.cfg\/0A0000FF/);
    assert.equal((await runTbx(['reconcile'], env)).exitCode, 0);
    assert.equal(await readFile(join(shares.cfg, '0A00000A'), 'utf8'), foreignA);
    assert.equal(await readFile(join(shares.cfg, '0A0000FF'), 'utf8'), 'DEFAULT some other box\n');
    assert.equal(await readFile(join(shares.cfg, 'default'), 'utf8'), defaultBefore);
  });

  test('two passes never overlap: while the lock is held a pass exits cleanly and changes nothing', async (t) => {
    const { shares, env } = await site(t, { 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }) });
    const release = await acquirePassLock(shares.tftp, 0);
    try {
      const r = await runTbx(['reconcile', '--lock-wait', '1', '--log-level', 'info'], env);
      assert.equal(r.exitCode, 0, r.all);
      assert.match(r.all, /another pass holds the lock/);
      assert.deepEqual(await readdir(shares.cfg), []);
    } finally {
      await release();
    }
    assert.equal((await runTbx(['reconcile'], env)).exitCode, 0);
    assert.ok((await readdir(shares.cfg)).includes('0A00000A'));
  });

  test('two passes never overlap: a pass that finds the lock held says for whom, waits, then runs once it is free', { timeout: 90_000 }, async (t) => {
    const { shares, env } = await site(t, { 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }) });
    const holder = execa(process.execPath, [join(packageRoot(), 'test', 'fixtures', 'hold-lock.mjs'), shares.tftp, join(shares.tftp, LOCK_NAME)], { reject: false });
    t.after(() => holder.kill('SIGKILL'));
    await new Promise<void>((resolve) => holder.stdout!.on('data', (d: Buffer) => /held/.test(String(d)) && resolve()));
    const second = execa(process.execPath, [tbxBin(), 'reconcile', '--lock-wait', '120', '--log-level', 'info'], { env: { TBX_LOG_FORMAT: 'json', TBX_CONFIG: '', ...env }, reject: false, all: true });
    await new Promise<void>((resolve) => second.all!.on('data', (d: Buffer) => /another pass holds the lock \(pid \d+ on [^)]+\); waiting up to 120 s/.test(String(d)) && resolve()));
    assert.deepEqual(await readdir(shares.cfg), [], 'nothing written while waiting');
    holder.kill('SIGKILL');
    const r = await second;
    assert.equal(r.exitCode, 0, r.all);
    assert.match(r.all, /pass complete/);
    assert.ok((await readdir(shares.cfg)).includes('0A00000A'), 'the waiting pass ran once the lock was free');
  });

  test('files PXELINUX reads before or instead of tbx\'s (MAC, subnet prefix) -> warned about in plan and pass, never touched', async (t) => {
    const { shares, env } = await site(t, { 'testboxes/tb-a.yaml': box('tb-a', '10.165.98.220', { action: 'backup', request: 'r1' }), 'testboxes/tb-b.yaml': box('tb-b', '10.165.98.221') }, { withDefault: true });
    const foreign = { '01-52-54-00-12-34-56': 'DEFAULT cobbler\n', '0AA562': 'DEFAULT subnet\n', 'C0A8': 'DEFAULT other subnet\n' };
    for (const [n, c] of Object.entries(foreign)) await writeFile(join(shares.cfg, n), c);
    const plan = await runTbx(['plan'], env);
    assert.match(plan.stdout, /Warning: pxelinux\.cfg\/01-52-54-00-12-34-56:1:1: PXELINUX reads this MAC address file before any per-IP file/);
    assert.match(plan.stdout, /Warning: pxelinux\.cfg\/0AA562:1:1: a subnet file: 2 box\(es\) \(10\.165\.98\.220, 10\.165\.98\.221\) boot it instead of default/);
    assert.doesNotMatch(plan.stdout, /pxelinux\.cfg\/C0A8/, 'a prefix no box falls under is not worth a warning');
    const pass = await runTbx(['reconcile'], env);
    assert.equal(pass.exitCode, 0, pass.all);
    for (const [n, c] of Object.entries(foreign)) assert.equal(await readFile(join(shares.cfg, n), 'utf8'), c);
  });

  test('a box removed from the repo -> its config is deleted, a foreign neighbour survives', async (t) => {
    const a = box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' });
    const { repo, shares, env } = await site(t, { 'testboxes/tb-a.yaml': a });
    assert.equal((await runTbx(['reconcile'], env)).exitCode, 0);
    await writeFile(join(shares.cfg, '0A0000FE'), 'LABEL foreign\n');
    await repo.commit({ 'testboxes/tb-a.yaml': null }, 'decommission tb-a');
    assert.equal((await runTbx(['reconcile'], env)).exitCode, 0);
    assert.deepEqual((await readdir(shares.cfg)).sort(), ['0A0000FE', 'default']);
  });

  test('TFTP root without pxelinux.0 or pxelinux.cfg (unmounted?) -> error, nothing written', async (t) => {
    const { shares, env } = await site(t, { 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }) });
    const empty = join(shares.tftp, '..', 'empty-mount');
    await import('node:fs/promises').then((fs) => fs.mkdir(empty));
    const r = await runTbx(['reconcile'], { ...env, TBX_TFTP_ROOT: empty });
    assert.equal(r.exitCode, 1);
    assert.match(r.all, /is it mounted/);
    assert.deepEqual(await readdir(empty), []);
  });

  test('backup share without its marker -> exit 1 naming the marker; nothing starts, but a request whose attempts are spent still ends', async (t) => {
    const { repo, shares, env } = await site(t, { 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10'), 'testboxes/tb-b.yaml': box('tb-b', '10.0.0.11', { action: 'backup', request: 'r1' }) });
    assert.equal((await runTbx(['reconcile'], env)).exitCode, 0);
    assert.ok((await readdir(shares.cfg)).includes('0A00000B'));
    // tb-b's agent failed its third attempt (reported to git: its share mount is gone too).
    const failed = { apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'tb-b', ip: '10.0.0.11', request: 'r1', action: 'backup', attempt: 3, phase: 'Failed', startedAt: '2026-11-24T10:00:00Z', finishedAt: '2026-11-24T10:01:00Z', exitCode: 11, message: 'Backup directory is not mounted' };
    await repo.commit({ 'status/tb-b.yaml': failed }, 'tb-b: backup Failed (request r1)', { name: 'tbx agent (tb-b)', email: 'tbx-agent+tb-b@localhost' });
    await repo.mergePr(2, { 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r2' }) }, 'back up tb-a');
    await rm(join(shares.backup, 'testbox-backup'));

    const r = await runTbx(['reconcile'], env);
    assert.equal(r.exitCode, 1, r.all);
    assert.match(r.all, /testbox-backup marker file: is it mounted\?.*only removals were applied/s);
    assert.deepEqual((await readdir(shares.cfg)).filter((f) => f !== 'default'), [], "tb-b's config removed (Stalled), tb-a's not written");
    assert.ok((await repo.log()).includes('tb-b: backup Stalled (request r1)'), (await repo.log()).join('\n'));
    const plan = await runTbx(['plan'], env);
    assert.equal(plan.exitCode, 1, plan.all);
    assert.match(plan.stdout, /tb-a +10\.0\.0\.10 +backup +r2 +held +backup share .* only removals are applied until it is back \(would: create/);

    await writeFile(join(shares.backup, 'testbox-backup'), '');
    assert.equal((await runTbx(['reconcile'], env)).exitCode, 0);
    assert.ok((await readdir(shares.cfg)).includes('0A00000A'), 'the held request starts once the share is back');
  });

  test('unreachable git server -> exit 1 naming the repo, shares untouched', async (t) => {
    const { shares, env } = await site(t, { 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }) });
    const before = await hashTree(shares.tftp);
    const r = await runTbx(['reconcile'], { ...env, TBX_FLEET: 'git://127.0.0.1:1/nowhere.git' });
    assert.equal(r.exitCode, 1);
    assert.match(r.all, /cannot fetch fleet repo git:\/\/127.0.0.1:1\/nowhere.git/);
    assert.deepEqual(await hashTree(shares.tftp), before);
  });
});
