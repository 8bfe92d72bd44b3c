import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { ChunkStore } from '../../imaging/chunked/chunk-store.js';
import { hexIp } from '../../lib/hex-ip.js';
import { bootBox, requestAction } from '../../test/helpers/agent-box.js';
import { sha256File } from '../../test/helpers/disks.js';
import { runAgentChild, type KillPlan } from '../lib/agent-run.js';
import { leftovers, spooled, verifyBox } from '../lib/image-checks.js';
import { breakDisk, changeDisk, dropImages, type Lab } from './imaging-lab.js';

/** The imaging operations the crash suite kills. */
export type Op = 'backup' | 'backup-again' | 'restore';

/** What one trial found. Counters are per trial (0 or more); `problems` explain every failure. */
export interface TrialOutcome {
  killed: boolean;
  /** Where the kill landed, judged from what it left behind (or the commit step it died before). */
  landed: string;
  ms: number;
  /** The image a restore would take after the kill is whole and the pre-trial image is still restorable. */
  previousIntact: boolean;
  /** The next boot (or the killed run itself) ended with the operation done and reported. */
  rerunOk: boolean;
  restores: number;
  bitExact: number;
  falseSuccesses: number;
  partialReferenced: number;
  tempLeftByKill: number;
  steps: string[];
  problems: string[];
}

/**
 * One crash trial: prepare the disk for `op` (new content for a backup, garbage for a
 * restore), request `op` as the reconciler would, run the real agent and kill it as `kill`
 * says, check what the kill left (verify, restore onto a garbage disk, the spooled status),
 * then boot the box again as PXELINUX would while its config is there and check the result.
 */
export async function runTrial(lab: Lab, op: Op, request: string, kill: KillPlan): Promise<TrialOutcome> {
  const o: TrialOutcome = { killed: false, landed: 'finished', ms: 0, previousIntact: true, rerunOk: false, restores: 0, bitExact: 0, falseSuccesses: 0, partialReferenced: 0, tempLeftByKill: 0, steps: [], problems: [] };
  const disk = lab.box.disk('sda');
  if (op === 'backup') await dropImages(lab);
  const prev = lab.imageHash;
  const prevGeneration = lab.format === 'chunked' && op === 'backup-again' ? (await new ChunkStore().list(lab.boxDir))[0]?.generation : undefined;
  const before = op === 'restore' ? await breakDisk(lab, Math.random() < 0.5) : await changeDisk(lab, op === 'backup' ? 0.3 : 0.4);
  const want = op === 'restore' ? prev! : before;
  const tempBefore = (await leftovers(lab.shares.backup)).count;
  await requestAction(lab.box, lab.shares, op, request, lab.format);
  const run = await runAgentChild(lab.box, lab.shares, kill);
  o.ms = run.ms;
  o.steps = run.steps;
  o.killed = run.signal === 'SIGKILL';
  if (!o.killed && run.exitCode !== 0) o.problems.push(`the run that was not killed exited ${run.exitCode}: ${run.all.slice(-400)}`);
  o.tempLeftByKill = (await leftovers(lab.shares.backup)).count - tempBefore;

  // What the kill left behind.
  for (const p of await verifyBox(lab.shares.backup, lab.box.ip)) {
    o.partialReferenced++;
    o.problems.push(`after the kill, verify: ${p}`);
  }
  const status = await spooled(lab.shares.backup, lab.box.ip);
  const claims = status?.request === request && status.phase === 'Succeeded';
  if (op === 'restore') {
    const now = await sha256File(disk);
    if (claims && now !== want) {
      o.falseSuccesses++;
      o.problems.push(`after the kill the status says Succeeded but the disk does not hold the image`);
    }
    if (o.killed) o.landed = claims ? 'after status' : now === want ? 'disk written' : now !== before ? 'mid-write' : 'before writing';
    const image = await lab.checker.restore(lab.boxDir);
    o.restores++;
    if (image.sha256 === prev) o.bitExact++;
    else {
      o.previousIntact = false;
      o.problems.push(`after the kill the image no longer restores bit-exactly: ${image.error ?? 'different content'}`);
    }
  } else {
    const sel = await lab.checker.restore(lab.boxDir);
    if (!sel.none) o.restores++;
    if (sel.none) {
      if (prev !== undefined) {
        o.previousIntact = false;
        o.problems.push('after the kill no image of the disk is left');
      }
    } else if (sel.sha256 === before || (sel.sha256 !== undefined && sel.sha256 === prev)) {
      o.bitExact++;
    } else {
      o.partialReferenced++;
      o.previousIntact = false;
      o.problems.push(`after the kill a restore takes ${sel.image ?? 'an image'} and ${sel.error ? `fails: ${sel.error}` : 'writes neither the previous nor the new content'}`);
    }
    if (claims && sel.sha256 !== before) {
      o.falseSuccesses++;
      o.problems.push(`after the kill the status says Succeeded but the image a restore takes is not the new backup`);
    }
    // The new image already replaced the previous as newest: the previous must still be there.
    if (op === 'backup-again' && sel.sha256 === before && prev !== undefined && before !== prev) {
      const older = await lab.checker.restore(lab.boxDir, lab.format === 'gzip' ? { gzipRef: 'sda.gz.old' } : { generation: prevGeneration! });
      o.restores++;
      if (older.sha256 === prev) o.bitExact++;
      else {
        o.previousIntact = false;
        o.problems.push(`after the kill the previous image (${lab.format === 'gzip' ? 'sda.gz.old' : `generation ${prevGeneration}`}) does not restore: ${older.error ?? 'different content'}`);
      }
    }
    if (o.killed) o.landed = claims ? 'after status' : sel.sha256 === before ? 'image written' : o.tempLeftByKill > 0 ? 'mid-imaging' : 'before imaging';
  }
  if (o.killed && kill.crashAt) o.landed = describeStep(run.steps.at(-1));

  // The next boot: the config is still there unless the killed run got as far as removing it.
  if (o.killed && (await bootBox(lab.box, lab.shares))) {
    const again = await runAgentChild(lab.box, lab.shares);
    if (again.exitCode !== 0) o.problems.push(`the re-run exited ${again.exitCode}: ${lastError(again.all)}`);
  }
  const final = await spooled(lab.shares.backup, lab.box.ip);
  const finalProblems: string[] = [];
  if (final?.request !== request || final.phase !== 'Succeeded') finalProblems.push(`the status is ${final?.request ?? '-'}/${final?.phase ?? '-'}, not ${request}/Succeeded`);
  if (await access(join(lab.shares.cfg, hexIp(lab.box.ip))).then(() => true, () => false)) finalProblems.push('the PXE config is still there');
  finalProblems.push(...(await verifyBox(lab.shares.backup, lab.box.ip)).map((p) => `verify: ${p}`));
  if (op === 'restore') {
    if ((await sha256File(disk)) !== want) finalProblems.push('the disk does not hold the image');
  } else {
    const sel = await lab.checker.restore(lab.boxDir);
    o.restores++;
    if (sel.sha256 === want) o.bitExact++;
    else finalProblems.push(`the newest image does not restore the disk: ${sel.error ?? 'different content'}`);
    if (sel.sha256 === want) lab.imageHash = want;
  }
  o.rerunOk = finalProblems.length === 0;
  o.problems.push(...finalProblems.map((p) => `after the re-run, ${p}`));
  return o;
}

/** `before rename .../sda.gz.sha256.next -> sda.gz.sha256`, paths shortened to the share. */
function describeStep(line: string | undefined): string {
  if (!line) return 'no step';
  const [, op, ...paths] = line.replace(/ @\d+$/, '').split(' ');
  const short = (p: string) => p.replace(/^.*\/(backup|tftp)\//, '').replace(/\.tmp-[0-9a-f-]+$/, '.tmp-*').replace(/[0-9a-f]{32}/g, '<id>').replace(/^\d+\.\d+\.\d+\.\d+\//, '');
  return `before ${op} ${paths.map(short).join(' -> ')}`;
}

function lastError(all: string): string {
  const lines = all.split('\n').filter((l) => /error/i.test(l));
  return (lines.at(-1) ?? all.slice(-300)).slice(0, 400);
}
