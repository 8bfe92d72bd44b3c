import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describeError } from '../../lib/errors.js';
import { packageRoot } from '../../lib/package-root.js';
import { report } from '../lib/report.js';
import { makeFaultSite } from './fault-site.js';
import { diskFull, gitAway, noMarker, readError, type FaultRow } from './scenarios.js';

/** The faults this suite knows; `needsMounts` ones need root (a tmpfs share, a FUSE disk). */
const FAULTS = {
  'no-marker-box': { needsMounts: false, label: "(d) box's backup mount missing its marker" },
  'no-marker-share': { needsMounts: false, label: '(d) backup share missing its marker' },
  'read-eio': { needsMounts: true, label: '(b) source read error (EIO)' },
  'read-short': { needsMounts: true, label: '(b) source read error (short read, then EIO)' },
  'read-short-gzip': { needsMounts: true, label: '(b) source read error (short read, then EIO; gzip)' },
  'disk-full': { needsMounts: true, label: '(a) backup share full mid-backup' },
  'disk-full-gzip': { needsMounts: true, label: '(a) backup share full mid-backup (gzip)' },
  'git-away': { needsMounts: false, label: '(c) fleet remote gone, back later' },
} as const;

/** One of {@link FAULTS}. */
export type FaultName = keyof typeof FAULTS;

/** What a faults run does. */
export interface FaultPlan {
  faults: FaultName[];
  maxAttempts: number;
  sizeMiB: number;
}

/**
 * Faults: disk full on the share mid-backup, read errors on the source, the fleet remote
 * going away and coming back, a share without its marker. As root the suite re-runs itself
 * in a private mount namespace (`unshare -m`), so its tmpfs share and FUSE disk vanish with
 * it whatever happens; without root those two are reported as skipped.
 */
export async function runFaults(plan: FaultPlan): Promise<{ failures: number }> {
  const canNamespace = process.getuid?.() === 0 && (await execa('unshare', ['-m', 'true'], { reject: false })).exitCode === 0;
  if (canNamespace && !process.env.TBX_TORTURE_IN_NAMESPACE) {
    const r = await execa('unshare', ['-m', '--propagation', 'private', process.execPath, join(packageRoot(), 'dist', 'torture', 'faults', 'main.js'), JSON.stringify(plan)], { stdio: 'inherit', reject: false, env: { TBX_TORTURE_IN_NAMESPACE: '1' } });
    return { failures: r.exitCode ?? 1 };
  }
  return runFaultsHere(plan, process.env.TBX_TORTURE_IN_NAMESPACE === '1');
}

/** Run the faults in this process; `mounts`: we may mount (root, in our own mount namespace). */
export async function runFaultsHere(plan: FaultPlan, mounts: boolean): Promise<{ failures: number }> {
  const root = await mkdtemp(join(tmpdir(), 'tbx-torture-faults-'));
  const rows: FaultRow[] = [];
  const skipped: string[] = [];
  const share = join(root, 'backup');
  try {
    if (mounts) {
      await mkdir(share, { recursive: true });
      await execa('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tbx-fault-share', share]);
    }
    const site = await makeFaultSite(root, { sizeMiB: plan.sizeMiB, maxAttempts: plan.maxAttempts });
    for (const name of plan.faults) {
      if (FAULTS[name].needsMounts && !mounts) {
        skipped.push(`${FAULTS[name].label}: needs root (a tmpfs share or a FUSE disk in a private mount namespace)`);
        continue;
      }
      try {
        rows.push(await runOne(site, root, name));
      } catch (err) {
        rows.push({ fault: FAULTS[name].label, expectedExit: NaN, exits: [], clear: false, sampleError: '', previousIntact: false, keptForRetry: false, endedAs: 'suite error', tempLeft: 0, problems: [`the scenario threw: ${describeError(err)}`] });
      }
    }
  } finally {
    if (mounts) await execa('umount', ['-l', share], { reject: false });
    await rm(root, { recursive: true, force: true });
  }
  await report(
    'faults',
    `faults: the real agent and reconciler against a full share, a failing disk, a vanishing fleet remote and a missing share marker (maxAttempts ${plan.maxAttempts}, ${plan.sizeMiB} MiB disk)`,
    ['FAULT', 'EXPECTED EXIT', 'EXIT PER BOOT', 'ERROR NAMES WHAT + WHY', 'PXE KEPT FOR RETRY', 'ENDED AS', 'PREVIOUS IMAGE INTACT', 'TEMP FILES LEFT', 'PROBLEMS'],
    rows.map((r) => [r.fault, String(r.expectedExit), r.exits.map(String).join(',') || '-', r.clear === undefined ? '-' : r.clear ? 'yes' : 'NO', r.fault.startsWith('(c)') ? '-' : r.keptForRetry ? 'yes' : 'NO', r.endedAs, r.previousIntact ? 'yes' : 'NO', String(r.tempLeft), String(r.problems.length)]),
    { plan, rows, skipped },
  );
  for (const r of rows) process.stdout.write(`  ${r.fault}: ${r.sampleError}\n`);
  for (const s of skipped) process.stdout.write(`  SKIPPED ${s}\n`);
  for (const r of rows) for (const p of r.problems) process.stdout.write(`  FAIL ${r.fault}: ${p}\n`);
  return { failures: rows.filter((r) => r.problems.length > 0).length };
}

function runOne(site: Awaited<ReturnType<typeof makeFaultSite>>, root: string, name: FaultName): Promise<FaultRow> {
  switch (name) {
    case 'no-marker-box':
      return noMarker(site, root, true);
    case 'no-marker-share':
      return noMarker(site, root, false);
    case 'read-eio':
      return readError(site, 8 << 20, 'chunked');
    case 'read-short':
      return readError(site, (8 << 20) + 100 * 1024, 'chunked');
    case 'read-short-gzip':
      return readError(site, (8 << 20) + 100 * 1024, 'gzip');
    case 'disk-full':
      return diskFull(site, 'chunked');
    case 'disk-full-gzip':
      return diskFull(site, 'gzip');
    case 'git-away':
      return gitAway(site);
  }
}
