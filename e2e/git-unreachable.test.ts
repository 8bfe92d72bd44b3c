import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { BOX, createE2eSite } from './helpers/e2e-site.js';
import { assertInOrder, bootsOf, configOutcome, sha256Of } from './helpers/evidence.js';
import { LOCALBOOT_EXIT_CODE, LOCALBOOT_MARKER } from './helpers/mbr-disk.js';

test('scenario 4: git unreachable -> the agent spools its status, the run completes, the next pass forwards it', { timeout: 300_000 }, async (t) => {
  const site = await createE2eSite(t, { imageFormat: 'gzip' }); // the seed's <dev>.gz, as its shares hold
  const started = Date.now();
  const original = await sha256Of(site.disk);
  await site.request(1, 'backup', 'e2e-nogit-1');
  await site.reconcile();
  const before = await site.repo.log();
  await site.daemon.stop(); // the box's git URL now refuses connections

  const guest = site.boot();
  await guest.waitFor(/tbx-init: agent exited 0/, 200_000);
  await guest.waitFor(new RegExp(LOCALBOOT_MARKER), 90_000);
  assert.equal(await guest.exited, LOCALBOOT_EXIT_CODE);
  assert.ok(guest.serial.some((l) => /^git unreachable \(cannot fetch fleet repo git:\/\//.test(l.text)), 'the agent saw git unreachable');
  assert.ok(guest.serial.some((l) => /the status stays spooled on the share/.test(l.text)), 'the agent says it spooled');
  // What the guest asked for: the box's config (served), the image, then after the reboot no config, so the default.
  const files = guest.tftp.map((f) => f.text);
  assertInOrder(files, ['pxelinux.0', `pxelinux.cfg/${BOX.hex}`, 'maintenance-boot/vmlinuz', 'maintenance-boot/initrd.img', 'pxelinux.0', `pxelinux.cfg/${BOX.hex}`, 'pxelinux.cfg/default'], 'TFTP requests');
  assert.deepEqual(bootsOf(files).map((b) => configOutcome(b, `pxelinux.cfg/${BOX.hex}`)), ['served', 'missing'], 'two boots: maintenance, then local');

  await assert.rejects(access(join(site.tftp, 'pxelinux.cfg', BOX.hex)), 'a spooled status is durable enough to remove the config');
  const boxDir = join(site.backup, BOX.ip);
  assert.equal(await sha256Of(join(boxDir, 'sda.gz'), { gunzip: true }), original);
  const spooled = parse(await readFile(join(boxDir, 'status.yaml'), 'utf8')) as { phase: string; request: string };
  assert.deepEqual([spooled.phase, spooled.request], ['Succeeded', 'e2e-nogit-1']);
  assert.deepEqual(await site.repo.log(), before, 'nothing reached git from the box');

  await site.reconcile();
  const log = await site.repo.log();
  assert.equal(log[0], 'tb-e2e: backup Succeeded (request e2e-nogit-1) [forwarded]', 'the pass forwarded the spooled status');
  await site.reconcile();
  assert.deepEqual(await site.repo.log(), log, 'forwarded once');
  assert.equal((await site.plan()).exitCode, 0);
  t.diagnostic(`scenario 4 (git unreachable): ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
