import { runBadInput } from './bad-input/run.js';
import { runCorruption } from './corruption/run.js';
import { runImagingCrashes, type ImagingCrashPlan } from './crash/imaging.js';
import { runReconcileCrashes } from './crash/reconcile.js';
import { runStatusPushCrashes } from './crash/status-push.js';
import { runFaults } from './faults/run.js';
import { runAgentLoad } from './load/agents.js';

/** Every operation and format: random kills, and a kill at every commit step on images, the status and the PXE config. */
const imagingFull: ImagingCrashPlan = {
  sizeMiB: 64,
  cases: (['chunked', 'gzip'] as const).flatMap((format) => (['backup', 'backup-again', 'restore'] as const).map((op) => ({ format, op, random: format === 'chunked' ? 50 : 20, steps: 'all' as const }))),
};
/** CI: the commit steps of backup-again on images (where a torn replace would lose the previous image), one random restore kill per format. */
const imagingShort: ImagingCrashPlan = {
  sizeMiB: 16,
  cases: [
    { format: 'chunked', op: 'backup-again', random: 0, steps: 'images' },
    { format: 'chunked', op: 'restore', random: 1, steps: 'none' },
    { format: 'gzip', op: 'backup-again', random: 0, steps: 'images' },
    { format: 'gzip', op: 'restore', random: 1, steps: 'none' },
  ],
};

/**
 * `npm run torture [-- --short]`: the safety proofs of issue 5 as figures. Exits non-zero if
 * any case lost data, changed a share, or reported success on incomplete data.
 */
async function main(): Promise<number> {
  const short = process.argv.includes('--short');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const started = Date.now();
  let failures = 0;
  const suites: Record<string, () => Promise<{ failures: number }>> = {
    'bad-input': () => runBadInput({ workers: 2 }),
    'crash-reconcile': () => runReconcileCrashes(short ? 10 : 100),
    'crash-status-push': () => runStatusPushCrashes(short ? 6 : 50),
    'load-agents': () => runAgentLoad(short ? 25 : 200),
    'crash-imaging': () => runImagingCrashes(short ? imagingShort : imagingFull),
    faults: () =>
      runFaults(
        short
          ? { faults: ['no-marker-box', 'read-short', 'disk-full', 'git-away'], maxAttempts: 2, sizeMiB: 16 }
          : { faults: ['no-marker-box', 'no-marker-share', 'read-eio', 'read-short', 'read-short-gzip', 'disk-full', 'disk-full-gzip', 'git-away'], maxAttempts: 3, sizeMiB: 16 },
      ),
    corruption: () => runCorruption({ trials: short ? { chunked: 3, gzip: 3 } : { chunked: 150, gzip: 60 }, sizeMiB: 16 }),
  };
  if (only && !(only in suites)) {
    process.stderr.write(`torture: no suite ${only}; the suites are ${Object.keys(suites).join(', ')}\n`);
    return 2;
  }
  const timings: string[] = [];
  for (const [name, run] of Object.entries(suites)) {
    if (only && only !== name) continue;
    const t0 = Date.now();
    const r = await run();
    failures += r.failures;
    timings.push(`${name} ${((Date.now() - t0) / 1000).toFixed(0)} s${r.failures ? ` (${r.failures} failure(s))` : ''}`);
  }
  process.stdout.write(`\nsuites: ${timings.join(', ')}\n`);
  process.stdout.write(`\ntorture ${short ? '(short) ' : ''}finished in ${((Date.now() - started) / 1000).toFixed(0)} s: ${failures} failure(s)\n`);
  return failures ? 1 : 0;
}

process.exitCode = await main();
