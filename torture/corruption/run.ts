import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageFormat } from '../../imaging/store.js';
import { requestAction } from '../../test/helpers/agent-box.js';
import { runTbx } from '../../test/helpers/cli.js';
import { sha256File } from '../../test/helpers/disks.js';
import { runAgentChild } from '../lib/agent-run.js';
import { seededRandom } from '../lib/random.js';
import { report } from '../lib/report.js';
import { breakDisk, changeDisk, makeLab, type Lab } from '../crash/imaging-lab.js';
import { bytesDiffering, filesOf, flipBit, KINDS, namesOf } from './flip.js';

/** How one damaged file fared. */
type Verdict = 'refused' | 'outside' | 'benign' | 'failure';

interface KindStats {
  format: ImageFormat;
  kind: string;
  trials: number;
  detected: number;
  named: number;
  refused: number;
  bytesWrittenByRefused: number;
  outside: number;
  benign: number;
  /** Benign by the rule (restore bit-exact) but only because verify no longer checks the image: its .sha256 no longer parses. */
  unchecked: number;
  failures: number;
}

/**
 * Corruption: flip one random bit in a random stored file (chunked: packs, pack indexes,
 * generation indexes; gzip: the .gz, its .sha256 and its .disk.json), then `tbx image
 * verify` / `tbx verify` must find it (exit 1, naming the file) and a restore with the real
 * agent must refuse it (exit 20) with 0 bytes written to the disk, which holds garbage. A
 * flip verify calls fine must restore bit-exactly (benign, e.g. the file name in a .sha256);
 * damage verify finds in what the restore does not use (an older generation's chunk) must not
 * stop the restore, which must then be bit-exact. The bit is flipped back after each trial.
 */
export async function runCorruption(o: { trials: Record<ImageFormat, number>; sizeMiB: number }): Promise<{ failures: number }> {
  const root = await mkdtemp(join(tmpdir(), 'tbx-torture-corruption-'));
  const stats: KindStats[] = [];
  const problems: string[] = [];
  const random = seededRandom();
  try {
    for (const format of ['chunked', 'gzip'] as const) {
      if (!o.trials[format]) continue;
      const lab = await makeLab(join(root, format), format, o.sizeMiB);
      const want = await takeImages(lab);
      const kinds = KINDS[format].map((k) => ({ ...k, s: { format, kind: k.kind, trials: 0, detected: 0, named: 0, refused: 0, bytesWrittenByRefused: 0, outside: 0, benign: 0, unchecked: 0, failures: 0 } as KindStats }));
      for (let t = 0; t < o.trials[format]; t++) {
        const k = kinds[t % kinds.length]!;
        // Files in turn, in reverse name order (so the newest generation index, what a restore takes, comes first); bits at random.
        const files = (await filesOf(lab.shares.backup, k.pattern)).reverse();
        const file = files[k.s.trials % files.length]!;
        const flip = await flipBit(file, random);
        const where = `${format} ${k.kind} ${file.slice(lab.shares.backup.length + 1)} byte ${flip.offset} of ${flip.size}, bit ${flip.bit}`;
        try {
          const verdict = await trial(lab, format, file, want, `x${t}`);
          k.s.trials++;
          k.s.detected += verdict.detected ? 1 : 0;
          k.s.named += verdict.named ? 1 : 0;
          if (verdict.verdict === 'refused') {
            k.s.refused++;
          } else if (verdict.verdict === 'outside') k.s.outside++;
          else if (verdict.verdict === 'benign') {
            k.s.benign++;
            if (verdict.unchecked) k.s.unchecked++;
          }
          else k.s.failures++;
          if (verdict.exit === 20) k.s.bytesWrittenByRefused += verdict.written;
          problems.push(...verdict.problems.map((p) => `${where}: ${p}`));
        } finally {
          await flipBit(file, flip);
        }
      }
      stats.push(...kinds.map((k) => k.s));
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  await report(
    'corruption',
    `corruption: one bit flipped in a stored file, then tbx verify and a restore by the real agent onto a garbage disk (${o.sizeMiB} MiB; TBX_TORTURE_SEED=${random.seed} repeats the choices)`,
    ['FORMAT', 'FILE', 'TRIALS', 'DETECTED BY VERIFY', 'NAMED IN VERIFY', 'RESTORES REFUSED (20)', 'BYTES WRITTEN BY REFUSED RESTORES', 'DAMAGE OUTSIDE THE RESTORED IMAGE', 'BENIGN (VERIFY OK, BIT-EXACT)', 'OF WHICH CHECKSUM UNREADABLE (IMAGE UNCHECKED)', 'FAILURES'],
    stats.map((s) => [s.format, s.kind, String(s.trials), String(s.detected), String(s.named), String(s.refused), String(s.bytesWrittenByRefused), String(s.outside), String(s.benign), String(s.unchecked), String(s.failures)]),
    { sizeMiB: o.sizeMiB, seed: random.seed, stats, problems },
  );
  for (const p of problems.slice(0, 25)) process.stdout.write(`  FAIL ${p}\n`);
  if (problems.length > 25) process.stdout.write(`  ... and ${problems.length - 25} more (torture/results/corruption.json)\n`);
  return { failures: stats.reduce((n, s) => n + s.failures, 0) };
}

/** Back the disk up (chunked: twice, so there is an older generation too). Returns the SHA-256 the newest image holds. */
async function takeImages(lab: Lab): Promise<string> {
  const actions = lab.format === 'chunked' ? (['backup', 'backup-again'] as const) : (['backup'] as const);
  for (const [i, action] of actions.entries()) {
    if (i > 0) await changeDisk(lab, 0.3);
    await requestAction(lab.box, lab.shares, action, `base${i}`, lab.format);
    const r = await runAgentChild(lab.box, lab.shares);
    if (r.exitCode !== 0) throw new Error(`${lab.format} ${action} failed: ${r.all.slice(-400)}`);
  }
  return sha256File(lab.box.disk('sda'));
}

/** Verify, then restore onto a garbage disk, and judge the pair. */
async function trial(lab: Lab, format: ImageFormat, file: string, want: string, request: string) {
  const problems: string[] = [];
  const verify = await runTbx([format === 'chunked' ? 'image' : '', 'verify', lab.box.ip, '--backup', lab.shares.backup].filter(Boolean));
  const detected = verify.exitCode === 1;
  const named = detected && namesOf(file).some((n) => verify.all.includes(n));
  // The seed's images have no .sha256; a damaged one that no longer parses is counted like them.
  const unchecked = verify.exitCode === 0 && /without one/.test(verify.all);
  if (verify.exitCode !== 0 && verify.exitCode !== 1) problems.push(`verify exited ${verify.exitCode}: ${verify.all.slice(-300)}`);
  if (detected && !named) problems.push(`verify found damage but did not name the file: ${verify.all.slice(-300)}`);
  const disk = lab.box.disk('sda');
  await breakDisk(lab, true);
  const before = join(lab.box.root, 'before-restore');
  await copyFile(disk, before);
  await requestAction(lab.box, lab.shares, 'restore', request, lab.format);
  const r = await runAgentChild(lab.box, lab.shares);
  const written = await bytesDiffering(disk, before);
  const exact = r.exitCode === 0 && (await sha256File(disk)) === want;
  const refusal = lastError(r.all);
  let verdict: Verdict = 'failure';
  if (r.exitCode === 20 && written === 0) verdict = detected ? 'refused' : 'failure';
  else if (exact) verdict = detected ? 'outside' : 'benign';
  if (r.exitCode === 20 && written > 0) problems.push(`the restore exited 20 but wrote ${written} bytes first: ${refusal}`);
  else if (r.exitCode === 20 && !detected) problems.push(`verify said OK but the restore refused: ${refusal}`);
  else if (r.exitCode === 0 && !exact) problems.push(`the restore exited 0 but the disk does not hold the newest image (${written} bytes written)${detected ? '; verify had found the damage' : ''}: ${lastInfo(r.all)}`);
  else if (r.exitCode !== 0 && r.exitCode !== 20) problems.push(`the restore exited ${r.exitCode}: ${refusal}`);
  if (verdict === 'failure' && problems.length === 0) problems.push(`unexpected: verify ${verify.exitCode}, restore ${r.exitCode}, ${written} bytes written`);
  if (verdict !== 'failure' && problems.length) verdict = 'failure';
  await rm(before, { force: true });
  return { detected, named, unchecked, verdict, exit: r.exitCode, written, problems };
}

function lastError(all: string): string {
  return (all.split('\n').filter((l) => l.startsWith('tbx agent: error:')).at(-1) ?? all.slice(-300)).slice(0, 400);
}

function lastInfo(all: string): string {
  return (all.split('\n').filter((l) => /Restoring|restored/.test(l)).at(-1) ?? all.slice(-200)).slice(0, 300);
}
