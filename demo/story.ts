import { join } from 'node:path';
import { execa } from 'execa';
import { tbxBin } from '../lib/package-root.js';
import { breakDisk, sha256Of } from './disks.js';
import { pxeBoot, type SimBox } from './pxe-boot.js';
import { placeMaintenanceBoot, runDay2 } from './day2.js';
import { mergePullRequest } from './pull-request.js';
import type { DemoSite } from './site.js';

/** Where the story prints. */
export type Say = (text: string) => void;

/**
 * The tbx story on a demo site: back up every box through a merged pull request, break a
 * disk, merge a restore request, reconcile, let the agent restore it, and prove the disk is
 * bit-identical. Every step runs the real `tbx` CLI. Throws if any step does not do what it
 * should, so the demo doubles as a smoke test.
 */
export async function runStory(site: DemoSite, say: Say): Promise<void> {
  const env = { TBX_FLEET: site.bare, TBX_TFTP_ROOT: site.tftp, TBX_BACKUP_ROOT: site.backup, TBX_STATE_DIR: site.state, TBX_LOG_LEVEL: 'info', TBX_LOG_FORMAT: 'pretty', NO_COLOR: '1' };
  const tbx = async (args: string[], expectCodes = [0], extraEnv: Record<string, string> = {}) => {
    say(`$ tbx ${args.map((a) => (/[\s'"]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a)).join(' ')}`);
    const r = await execa(process.execPath, [tbxBin(), ...args], { env: { ...env, ...extraEnv }, reject: false, all: true });
    if (r.all) say(indent(r.all));
    if (!expectCodes.includes(r.exitCode ?? -1)) throw new Error(`tbx ${args.join(' ')} exited ${r.exitCode}, expected ${expectCodes.join(' or ')}`);
    return r;
  };
  const boot = async (box: SimBox) => {
    const r = await pxeBoot(box, { tftp: site.tftp, backup: site.backup, fleet: site.bare, stateDir: site.state });
    if (r.booted === 'local') return say(`  ${box.name}: PXE boot -> no pxelinux.cfg file of its own -> default -> LOCALBOOT (boots its disk)`);
    const last = r.output.split('\n').filter((l) => /Successfully|committed|removed|error/.test(l));
    say(`  ${box.name}: PXE boot -> maintenance image -> tbx agent exit ${r.exitCode}\n${indent(last.join('\n'), 6)}`);
    if (r.exitCode !== 0) throw new Error(`agent on ${box.name} failed:\n${r.output}`);
  };
  const linux01 = site.boxes.find((b) => b.name === 'tb-linux-01')!;
  const disk = join(linux01.root, 'dev', 'sda');
  const original = await sha256Of(disk);

  say('\n==> 1. Back up every box: Alice opens a pull request, Bob merges it');
  await mergePullRequest(site.admin, {
    number: 1,
    branch: 'backup-all',
    title: 'Back up every testbox before the test campaign',
    body: 'First images of the lab, so a broken disk is one pull request away from working again.',
    edits: Object.fromEntries(site.boxes.map((b) => [b.name, { action: 'backup', request: '2026-11-25-first-backup' }])),
  });
  await tbx(['plan'], [2]);
  await tbx(['reconcile']);
  say('  The boxes are rebooted; each PXE-boots the maintenance image:');
  for (const b of site.boxes) await boot(b);
  await tbx(['reconcile']);
  await tbx(['plan']);

  say('\n==> 2. A test run breaks tb-linux-01 (boot sector and data overwritten)');
  await breakDisk(disk, 12);
  say(`  sha256 of tb-linux-01's sda: was ${original.slice(0, 16)}..., now ${(await sha256Of(disk)).slice(0, 16)}...`);

  say('\n==> 3. Alice asks for a restore in a pull request; Bob reviews and merges it');
  await mergePullRequest(site.admin, {
    number: 2,
    branch: 'restore-tb-linux-01',
    title: 'tb-linux-01: restore after the kernel-panic test run',
    body: 'The nightly panic test corrupted the root file system. Restore the image from the first backup.',
    edits: { 'tb-linux-01': { action: 'restore', request: '2026-11-25-restore-1' } },
  });

  say('\n==> 4. Reconcile, the box boots the maintenance image, the agent restores it');
  await tbx(['plan'], [2]);
  await tbx(['reconcile']);
  for (const b of site.boxes) await boot(b);
  const restored = await sha256Of(disk);
  if (restored !== original) throw new Error(`restored disk differs: ${restored} != ${original}`);
  say(`  sha256 of tb-linux-01's sda is ${restored.slice(0, 16)}... again: bit-identical to the disk before it broke`);
  await tbx(['reconcile']);
  const again = await tbx(['plan']);
  if (!/No changes/.test(again.all ?? '')) throw new Error('the request should be done, but the plan still has changes');

  say('\n==> 5. What the team sees');
  await tbx(['status']);
  await tbx(['history', 'tb-linux-01']);
  say(`$ git -C ${site.admin} pull -q && git -C ${site.admin} log --oneline --graph`);
  await execa('git', ['-C', site.admin, 'pull', '--quiet', '--ff-only']);
  say(indent((await execa('git', ['-C', site.admin, 'log', '--oneline', '--graph'])).stdout));

  await placeMaintenanceBoot(site.tftp);
  await runDay2(site, say, { tbx, boot });
}

function indent(text: string, n = 4): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}
