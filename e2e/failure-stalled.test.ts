import assert from 'node:assert/strict';
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { git } from '../test/helpers/git.js';
import { BOX, createE2eSite } from './helpers/e2e-site.js';
import { bootsOf, configOutcome } from './helpers/evidence.js';
import { LOCALBOOT_EXIT_CODE, LOCALBOOT_MARKER } from './helpers/mbr-disk.js';

test('scenario 3: unusable share -> seed exit code 11, config kept and retried each boot, Stalled after maxAttempts, then LOCALBOOT', { timeout: 300_000 }, async (t) => {
  const site = await createE2eSite(t, { maxAttempts: 2, failDelay: 10 });
  const started = Date.now();
  const cfg = join(site.tftp, 'pxelinux.cfg', BOX.hex);
  await site.request(1, 'backup', 'e2e-fail-1');
  await site.reconcile();

  // The box's backup export is unusable: it mounts, but it is empty (no testbox-backup marker).
  // The reconciler keeps its own, healthy view of the share.
  const broken = join(site.root, 'broken-export');
  await mkdir(broken);
  const guest = site.boot({ shares: { backup: broken, tftp: site.tftp } });

  for (const attempt of [1, 2]) {
    await guest.waitFor(/tbx-init: agent exited 11/, 180_000, attempt);
    // The timer's pass lands while the box waits out its fail delay. The box is frozen for
    // the pass, so that holds however slow the pass is: no third boot finds the config.
    await guest.pause();
    const status = parse(await git(site.repo.bare, ['show', `main:status/${BOX.name}.yaml`])) as Record<string, unknown>;
    assert.deepEqual([status.phase, status.attempt, status.exitCode], ['Failed', attempt, 11], `attempt ${attempt} committed as Failed with the seed's code`);
    await site.reconcile();
    if (attempt === 1) await access(cfg); // kept: the next boot retries
    await guest.resume();
  }
  await assert.rejects(access(cfg), 'after maxAttempts the reconciler removed the config');
  await guest.waitFor(new RegExp(LOCALBOOT_MARKER), 120_000);
  assert.equal(await guest.exited, LOCALBOOT_EXIT_CODE, 'the box boots its disk');

  // Three boots: PXELINUX served the box's config on each attempt, then found none and fell back to the default.
  const boots = bootsOf(guest.tftp.map((f) => f.text));
  assert.deepEqual(boots.map((b) => [configOutcome(b, `pxelinux.cfg/${BOX.hex}`), b.includes('maintenance-boot/initrd.img'), b.at(-1)]), [['served', true, 'maintenance-boot/initrd.img'], ['served', true, 'maintenance-boot/initrd.img'], ['missing', false, 'pxelinux.cfg/default']], `boots: ${JSON.stringify(boots)}`);
  assert.equal(guest.serial.filter((l) => /^tbx agent: error: Backup directory is not mounted/.test(l.text)).length, 2);
  assert.equal(guest.serial.filter((l) => /tbx-init: failed; waiting 10 s/.test(l.text)).length, 2);

  const log = await site.repo.log();
  assert.deepEqual(log.slice(0, 3), ['tb-e2e: backup Stalled (request e2e-fail-1)', 'tb-e2e: backup Failed (request e2e-fail-1)', 'tb-e2e: backup Failed (request e2e-fail-1)'], 'git log shows each failed attempt, then Stalled');
  const note = parse(await git(site.repo.bare, ['show', `main:notes/${BOX.name}.yaml`])) as { conditions: { type: string }[] };
  assert.equal(note.conditions.at(-1)?.type, 'Stalled');
  assert.match(await readFile(join(site.tftp, 'pxelinux.cfg', 'default'), 'utf8'), /LOCALBOOT 0/);
  t.diagnostic(`scenario 3 (failure, then Stalled): ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
