import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageFormat } from '../../imaging/store.js';
import { leftovers } from '../lib/image-checks.js';
import { report } from '../lib/report.js';
import { makeLab, randomDelay, type Lab } from './imaging-lab.js';
import { runTrial, type Op, type TrialOutcome } from './imaging-trial.js';

/** Trials of one operation on one image format. */
export interface ImagingCrashCase {
  format: ImageFormat;
  op: Op;
  /** Kills at a random moment of a run as long as the uninterrupted (calibration) run. */
  random: number;
  /**
   * Kills right before a commit step (rename, link, unlink) the calibration run made, one
   * trial per step: `images` only the steps on image files, `all` also the spooled status
   * and the PXE config.
   */
  steps: 'none' | 'images' | 'all';
}

/** What a crash-imaging run does: the cases in order (one lab per format), on a disk of `sizeMiB`. */
export interface ImagingCrashPlan {
  cases: ImagingCrashCase[];
  sizeMiB: number;
}

const IMAGE_STEP = /\/images\/|\.tbx-chunks|sda(\.raw)?\.gz/;
const STATE_STEP = /status\.yaml|pxelinux\.cfg/;

interface Row {
  format: ImageFormat;
  op: Op;
  kill: 'random' | 'step';
  outcomes: TrialOutcome[];
  /** Temp and pending files on the share once the row's trials are done (nothing sweeps them but `tbx image gc`). */
  leftAtEnd?: { count: number; bytes: number };
}

/**
 * Crash trials of imaging with the real agent: backup, backup-again and restore, chunked and
 * gzip. Each trial SIGKILLs the agent at a random moment of a calibrated run (or right before
 * one of its commit steps), checks what is left (the image a restore takes is whole and
 * restores bit-exactly, every generation verifies, no status claims success over incomplete
 * data), then lets the box boot again and checks the operation completes.
 */
export async function runImagingCrashes(plan: ImagingCrashPlan): Promise<{ failures: number }> {
  const root = await mkdtemp(join(tmpdir(), 'tbx-torture-imaging-'));
  const rows: Row[] = [];
  const calibration: Record<string, number> = {};
  const windows: Record<string, string> = {};
  const problems: string[] = [];
  const labs = new Map<ImageFormat, Lab>();
  try {
    for (const { format, op, random: randomTrials, steps: mode } of plan.cases) {
      const lab = labs.get(format) ?? labs.set(format, await makeLab(join(root, format), format, plan.sizeMiB)).get(format)!;
      // backup-again and restore start from a good image, as they would on a real box.
      if (op !== 'backup' && !lab.imageHash) {
        const warm = await runTrial(lab, 'backup', `${op}-warm-up`, {});
        problems.push(...warm.problems.map((p) => `${format} backup before ${op}, uninterrupted: ${p}`));
      }
      // Calibration: one uninterrupted run, which also lists the commit steps it makes.
      const cal = await runTrial(lab, op, `${op}-cal`, { stepLog: true });
      calibration[`${format} ${op}`] = cal.ms;
      problems.push(...cal.problems.map((p) => `${format} ${op} uninterrupted: ${p}`));
      // Kill between the agent's first write to the share and the end of the run: before it,
      // the process is only loading its modules and there is nothing to break.
      const acting = actingAt(cal);
      windows[`${format} ${op}`] = `${acting}-${cal.ms}`;
      // A loaded machine makes single timings noisy: a run that ends before its kill narrows the window.
      let span = cal.ms - acting;
      const random: Row = { format, op, kill: 'random', outcomes: [] };
      for (let t = 0; t < randomTrials; t++) {
        const out = await runTrial(lab, op, `${op}-r${t}`, { afterActingMs: randomDelay(span) });
        if (!out.killed) span = Math.max(50, Math.min(span, out.ms - actingAt(out)));
        random.outcomes.push(out);
        problems.push(...out.problems.map((p) => `${format} ${op} random kill ${t} (${out.landed}): ${p}`));
      }
      if (random.outcomes.length) rows.push({ ...random, leftAtEnd: await leftovers(lab.shares.backup) });
      if (mode === 'none') continue;
      const match = mode === 'all' ? new RegExp(`${IMAGE_STEP.source}|${STATE_STEP.source}`) : IMAGE_STEP;
      const step: Row = { format, op, kill: 'step', outcomes: [] };
      const count = cal.steps.filter((line) => match.test(line)).length;
      for (let n = 1; n <= count; n++) {
        const out = await runTrial(lab, op, `${op}-s${n}`, { crashAt: n, match });
        step.outcomes.push(out);
        problems.push(...out.problems.map((p) => `${format} ${op} killed ${out.landed}: ${p}`));
      }
      if (step.outcomes.length) rows.push({ ...step, leftAtEnd: await leftovers(lab.shares.backup) });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const sum = (xs: TrialOutcome[], f: (o: TrialOutcome) => number) => xs.reduce((n, o) => n + f(o), 0);
  const header = ['FORMAT', 'OPERATION', 'KILL AT', 'TRIALS', 'KILLED MID-RUN', 'WHERE THE KILLS LANDED', 'PREVIOUS IMAGE INTACT', 'RE-RUN OK', 'BIT-EXACT RESTORES', 'FALSE SUCCESSES', 'PARTIAL IMAGES REFERENCED', 'TEMP FILES LEFT BY KILLS', 'ON THE SHARE AFTERWARDS'];
  const table = rows.map((r) => {
    const o = r.outcomes;
    return [
      r.format,
      r.op,
      r.kill === 'random' ? 'random moment' : 'commit step',
      String(o.length),
      String(o.filter((x) => x.killed).length),
      r.kill === 'random' ? landings(o) : `${new Set(o.filter((x) => x.killed).map((x) => x.landed)).size} distinct steps`,
      r.op === 'backup' ? '- (none before)' : String(o.filter((x) => x.previousIntact).length),
      String(o.filter((x) => x.rerunOk).length),
      `${sum(o, (x) => x.bitExact)}/${sum(o, (x) => x.restores)}`,
      String(sum(o, (x) => x.falseSuccesses)),
      String(sum(o, (x) => x.partialReferenced)),
      String(sum(o, (x) => Math.max(0, x.tempLeftByKill))),
      r.leftAtEnd ? `${r.leftAtEnd.count} (${(r.leftAtEnd.bytes / 2 ** 20).toFixed(1)} MiB)` : '-',
    ];
  });
  const failedTrials = rows.reduce((n, r) => n + r.outcomes.filter((o) => o.problems.length > 0).length, 0);
  const calibrationProblems = problems.filter((p) => p.includes('uninterrupted')).length;
  await report(
    'crash-imaging',
    `crash trials: the real agent SIGKILLed during imaging, ${plan.sizeMiB} MiB disk; random kills land between its first share write and the end of an uninterrupted run (ms since start: ${Object.entries(windows).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    header,
    table,
    { plan, calibration, windows, rows: rows.map((r) => ({ format: r.format, op: r.op, kill: r.kill, outcomes: r.outcomes.map(({ steps: _s, ...rest }) => rest) })), problems },
  );
  for (const p of problems.slice(0, 25)) process.stdout.write(`  FAIL ${p}\n`);
  if (problems.length > 25) process.stdout.write(`  ... and ${problems.length - 25} more (torture/results/crash-imaging.json)\n`);
  return { failures: failedTrials + calibrationProblems };
}

/** When (ms since start) a run made its first commit step, from its step log. */
function actingAt(o: TrialOutcome): number {
  return Number(/@(\d+)$/.exec(o.steps[0] ?? '')?.[1] ?? 0);
}

function landings(o: TrialOutcome[]): string {
  const counts = new Map<string, number>();
  for (const x of o) counts.set(x.landed, (counts.get(x.landed) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${k} ${v}`).join(', ');
}
