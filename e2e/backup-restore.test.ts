import assert from 'node:assert/strict';
import { access, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { git } from '../test/helpers/git.js';
import { BOX, createE2eSite } from './helpers/e2e-site.js';
import { assertInOrder, sha256Of, timeline } from './helpers/evidence.js';
import { LOCALBOOT_MARKER, trashDisk } from './helpers/mbr-disk.js';

const MARKS = { 'config': /^pxelinux\.cfg\/0A00020F$/, 'initrd': /initrd\.img$/, '/init': /tbx-init: starting/, 'agent': /tbx-init: running tbx agent/, 'agent done': /tbx-init: agent exited/, 'default': /^pxelinux\.cfg\/default$/, 'disk MBR': new RegExp(LOCALBOOT_MARKER) };
const SCENARIO_TIMEOUT_MS = 240_000;

test('scenarios 1 and 2: backup, then restore, of a PXE-booted QEMU machine that tbx reboots and checks', { timeout: 600_000 }, async (t) => {
  // The site's fleet.yaml sets power.rebootCommand (a stand-in BMC that powers the QEMU box
  // on or resets it) and power.checkCommand (the disk's marker on the console since then).
  const site = await createE2eSite(t, { power: true });
  const power = site.power!;
  const cfg = join(site.tftp, 'pxelinux.cfg', BOX.hex);
  const boxDir = join(site.backup, BOX.ip);
  const original = await sha256Of(site.disk);
  const exported = join(site.root, 'exported.raw');
  const note = async () => parse(await git(site.repo.bare, ['show', `main:notes/${BOX.name}.yaml`])) as { request: string; conditions: { type: string; reason: string; message: string }[] };
  let backedUp = false;

  await t.test('1. backup: merged request -> reconcile reboots the box -> agent backs up and commits -> LOCALBOOT -> check -> Verified, no manual step', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
    t.after(() => site.shutdown());
    const started = Date.now();
    // The reconciler runs as a site runs it, as a service; the box is off.
    const watch = site.watch();
    await site.request(1, 'backup', 'e2e-backup-1');
    const guest = await power.waitForCycle(1, 60_000).catch(async (err: Error) => assert.fail(`${err.message}\nreconciler log:\n${await watch.tail()}`));

    // The pass wrote the box's config, then ran the reboot command with its placeholders filled.
    assert.deepEqual(power.cycles[0]!.args, [BOX.name, BOX.ip, BOX.hex, 'e2e-backup-1'], '{name} {ip} {hexip} {request}');
    assert.equal(power.cycles[0]!.did, 'power-on');
    assert.match(power.cycles[0]!.config ?? '(no config when the reboot command ran)', /^APPEND .*testbox-action-backup .*testbox-request=e2e-backup-1 testbox-name=tb-e2e .*tbx\.backup=9p:backup/m);
    assert.match(await readFile(join(site.tftp, 'pxelinux.cfg', 'default'), 'utf8'), /^LOCALBOOT 0$/m);
    // The check can fail: the box has not booted its disk since the reboot.
    const early = await execa(site.checkArgv![0]!, site.checkArgv!.slice(1), { reject: false });
    assert.equal(early.exitCode, 1, `the check fails while the box is in maintenance: ${early.stdout}`);

    await guest.waitFor(/tbx-init: agent exited 0/, 200_000);
    await guest.waitFor(new RegExp(LOCALBOOT_MARKER), 90_000);
    await site.waitForCommit('tb-e2e: backup Verified (request e2e-backup-1)', 60_000, t.signal).catch(async (err: Error) => assert.fail(`${err.message}\nreconciler log:\n${await watch.tail()}`));
    await watch.stop();
    t.diagnostic(`timeline: ${timeline(guest, MARKS)}, Verified ${((Date.now() - started) / 1000).toFixed(1)} s after the merge`);

    // What PXELINUX asked for: the box's file, the image, then after the reboot the default.
    assertInOrder(guest.tftp.map((f) => f.text), ['pxelinux.0', `pxelinux.cfg/${BOX.hex}`, 'maintenance-boot/vmlinuz', 'maintenance-boot/initrd.img', 'pxelinux.0', `pxelinux.cfg/${BOX.hex}`, 'pxelinux.cfg/default'], 'TFTP requests');
    assert.ok(guest.serial.some((l) => /Successfully backed up \/dev\/sda/.test(l.text)), 'agent reports the backup on the console');
    await assert.rejects(access(cfg), 'the agent removed its PXE file');
    assert.equal(power.cycles.length, 1, 'one reboot: passes after the first never reboot again');

    // The chunked image on the share is the disk, bit for bit, and the spool agrees with git.
    await site.exportImage(exported);
    assert.equal(await sha256Of(exported), original, 'tbx image export gives back the disk');
    await rm(exported);
    await assert.rejects(access(join(boxDir, 'sda.gz')), 'the default format is chunked, not the seed gzip');
    const spooled = parse(await readFile(join(boxDir, 'status.yaml'), 'utf8')) as { phase: string; disks: { digest?: string; generation?: number }[] };
    assert.equal(spooled.phase, 'Succeeded');
    assert.match(spooled.disks[0]!.digest ?? '', /^blake3-tree:[0-9a-f]{64}$/);
    assert.equal(spooled.disks[0]!.generation, 1);
    const log = await site.repo.log();
    assert.deepEqual(log.slice(0, 2), ['tb-e2e: backup Verified (request e2e-backup-1)', 'tb-e2e: backup Succeeded (request e2e-backup-1)'], 'the agent pushed its status, then a pass recorded the comeback');
    const verified = await note();
    assert.equal(verified.request, 'e2e-backup-1');
    assert.deepEqual([verified.conditions.at(-1)?.type, verified.conditions.at(-1)?.reason], ['Verified', 'CheckPassed']);

    const again = await site.reconcile();
    assert.deepEqual(await site.repo.log(), log, 'a second pass commits nothing');
    await assert.rejects(access(cfg), 'a second pass writes no config');
    assert.equal((await site.plan()).exitCode, 0, `plan shows no changes:\n${again.all}`);
    assert.equal(power.cycles.length, 1, 'and reboots nothing');
    backedUp = true;
    t.diagnostic(`scenario 1 (backup, reboot, Verified): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  await t.test('2. restore: running box, garbage disk -> restore request -> reconcile resets the box -> agent restores -> LOCALBOOT boots the restored disk -> Verified', { timeout: SCENARIO_TIMEOUT_MS, skip: !backedUp && 'scenario 1 did not leave a backup' }, async (t) => {
    t.after(() => site.shutdown());
    const started = Date.now();
    // The box is up in its OS (no request: PXELINUX falls back to LOCALBOOT), and its disk gets broken.
    const { guest } = await power.cycle('test: the box is up before the request');
    const up = await guest.waitFor(new RegExp(LOCALBOOT_MARKER), 60_000);
    await trashDisk(site.disk);
    assert.notEqual(await sha256Of(site.disk), original);

    const watch = site.watch();
    await site.request(2, 'restore', 'e2e-restore-1');
    await power.waitForCycle(2, 60_000).catch(async (err: Error) => assert.fail(`${err.message}\nreconciler log:\n${await watch.tail()}`));
    assert.deepEqual(power.cycles[1]!.args, [BOX.name, BOX.ip, BOX.hex, 'e2e-restore-1']);
    assert.equal(power.cycles[1]!.did, 'reset', 'the running box was reset through its monitor');
    assert.match(power.cycles[1]!.config ?? '', /testbox-action-restore .*testbox-request=e2e-restore-1/);
    assert.equal(power.guest(), guest, 'the same machine, reset');

    await guest.waitFor(/tbx-init: agent exited 0/, 200_000);
    await guest.waitFor(new RegExp(LOCALBOOT_MARKER), 90_000, 2);
    await site.waitForCommit('tb-e2e: restore Verified (request e2e-restore-1)', 60_000, t.signal).catch(async (err: Error) => assert.fail(`${err.message}\nreconciler log:\n${await watch.tail()}`));
    await watch.stop();
    t.diagnostic(`timeline (QEMU time; the box was up at ${up.at.toFixed(1)} s): ${timeline(guest, MARKS, up.at)}`);

    assertInOrder(guest.tftp.map((f) => f.text), ['pxelinux.cfg/default', `pxelinux.cfg/${BOX.hex}`, 'maintenance-boot/initrd.img', 'pxelinux.cfg/default'], 'TFTP requests: disk boot, reset, maintenance boot, disk boot');
    assert.equal(await sha256Of(site.disk), original, 'the disk is bit-identical to the backup');
    await site.exportImage(exported);
    assert.equal(await sha256Of(exported), original, 'the image is unchanged by the restore');
    await assert.rejects(access(cfg));
    assert.deepEqual((await site.repo.log()).slice(0, 2), ['tb-e2e: restore Verified (request e2e-restore-1)', 'tb-e2e: restore Succeeded (request e2e-restore-1)']);
    assert.deepEqual([(await note()).request, (await note()).conditions.at(-1)?.type], ['e2e-restore-1', 'Verified']);
    assert.equal(power.cycles.length, 2, 'one reboot per request');
    t.diagnostic(`scenario 2 (restore, reset, Verified): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
