import assert from 'node:assert/strict';
import { access, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { BOX, createE2eSite } from './helpers/e2e-site.js';
import { assertInOrder, sha256Of, timeline } from './helpers/evidence.js';
import { LOCALBOOT_EXIT_CODE, LOCALBOOT_MARKER, trashDisk } from './helpers/mbr-disk.js';

const MARKS = { 'config': /^pxelinux\.cfg\/0A00020F$/, 'initrd': /initrd\.img$/, '/init': /tbx-init: starting/, 'agent': /tbx-init: running tbx agent/, 'agent done': /tbx-init: agent exited/, 'default': /^pxelinux\.cfg\/default$/, 'disk MBR': new RegExp(LOCALBOOT_MARKER) };

test('scenarios 1 and 2: backup, then restore, of a PXE-booted QEMU machine', { timeout: 600_000 }, async (t) => {
  const site = await createE2eSite(t);
  const cfg = join(site.tftp, 'pxelinux.cfg', BOX.hex);
  const boxDir = join(site.backup, BOX.ip);
  const original = await sha256Of(site.disk);
  const exported = join(site.root, 'exported.raw');

  await t.test('1. backup: merged request -> reconcile -> PXE boot -> agent backs up and commits -> LOCALBOOT', async (t) => {
    const started = Date.now();
    await site.request(1, 'backup', 'e2e-backup-1');
    await site.reconcile();
    assert.match(await readFile(cfg, 'utf8'), /^APPEND .*testbox-action-backup .*testbox-request=e2e-backup-1 testbox-name=tb-e2e .*tbx\.backup=9p:backup/m);
    assert.match(await readFile(join(site.tftp, 'pxelinux.cfg', 'default'), 'utf8'), /^LOCALBOOT 0$/m);

    const guest = site.boot();
    await guest.waitFor(/tbx-init: agent exited 0/, 200_000);
    await guest.waitFor(new RegExp(LOCALBOOT_MARKER), 90_000);
    assert.equal(await guest.exited, LOCALBOOT_EXIT_CODE, 'QEMU exits through the disk boot sector');
    t.diagnostic(`timeline: ${timeline(guest, MARKS)}`);

    // What PXELINUX asked for: the box's file, the image, then after the reboot the default.
    const files = guest.tftp.map((f) => f.text);
    assertInOrder(files, ['pxelinux.0', `pxelinux.cfg/${BOX.hex}`, 'maintenance-boot/vmlinuz', 'maintenance-boot/initrd.img', 'pxelinux.0', `pxelinux.cfg/${BOX.hex}`, 'pxelinux.cfg/default'], 'TFTP requests');
    assert.ok(guest.serial.some((l) => /Successfully backed up \/dev\/sda/.test(l.text)), 'agent reports the backup on the console');
    await assert.rejects(access(cfg), 'the agent removed its PXE file');

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
    assert.equal(log[0], 'tb-e2e: backup Succeeded (request e2e-backup-1)', 'the agent pushed its status commit');

    const again = await site.reconcile();
    assert.deepEqual(await site.repo.log(), log, 'a second pass commits nothing');
    await assert.rejects(access(cfg), 'a second pass writes no config');
    assert.equal((await site.plan()).exitCode, 0, `plan shows no changes:\n${again.all}`);
    t.diagnostic(`scenario 1 (backup): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  await t.test('2. restore: garbage disk -> restore request -> agent restores -> LOCALBOOT boots the restored disk', async (t) => {
    const started = Date.now();
    await trashDisk(site.disk);
    assert.notEqual(await sha256Of(site.disk), original);
    await site.request(2, 'restore', 'e2e-restore-1');
    await site.reconcile();
    assert.match(await readFile(cfg, 'utf8'), /testbox-action-restore .*testbox-request=e2e-restore-1/);

    const guest = site.boot();
    await guest.waitFor(/tbx-init: agent exited 0/, 200_000);
    await guest.waitFor(new RegExp(LOCALBOOT_MARKER), 90_000);
    assert.equal(await guest.exited, LOCALBOOT_EXIT_CODE, 'the restored disk boots');
    t.diagnostic(`timeline: ${timeline(guest, MARKS)}`);

    assertInOrder(guest.tftp.map((f) => f.text), [`pxelinux.cfg/${BOX.hex}`, 'maintenance-boot/initrd.img', 'pxelinux.cfg/default'], 'TFTP requests');
    assert.equal(await sha256Of(site.disk), original, 'the disk is bit-identical to the backup');
    await site.exportImage(exported);
    assert.equal(await sha256Of(exported), original, 'the image is unchanged by the restore');
    await assert.rejects(access(cfg));
    assert.equal((await site.repo.log())[0], 'tb-e2e: restore Succeeded (request e2e-restore-1)');
    t.diagnostic(`scenario 2 (restore): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
