import { randomFillSync } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ImageFormat } from '../../imaging/store.js';
import { sha256File } from '../../test/helpers/disks.js';
import { git } from '../../test/helpers/git.js';
import { leftovers, spooled } from '../lib/image-checks.js';
import { mountFailingDisk, type FailingDisk } from './failing-disk.js';
import { boot, bootUntilSettled, checkGoodImage, currentImage, errorLine, hasConfig, NAME, pass, request, type FaultSite, type Retries } from './fault-site.js';

/** One fault's row: what the box did over its boots and what was left. */
export interface FaultRow {
  fault: string;
  expectedExit: number;
  exits: Array<number | undefined>;
  /** Every error named what failed (device, file or share) and why; undefined when no boot failed. */
  clear: boolean | undefined;
  sampleError: string;
  previousIntact: boolean;
  keptForRetry: boolean;
  endedAs: string;
  tempLeft: number;
  problems: string[];
  /** The end of each boot's output (JSON results only). */
  outputs?: string[];
}

/** What a fault starts from: the image a restore takes and the share's temp files. */
interface Before {
  image: { image?: string; sha256?: string };
  temp: number;
  /** SHA-256 of the source disk, to tell a real backup from a broken one that claims success. */
  disk: string;
}

async function before(site: FaultSite): Promise<Before> {
  return { image: await currentImage(site), temp: (await leftovers(site.world.shares.backup)).count, disk: await sha256File(site.box.disk('sda')) };
}

/**
 * Judge a failing fault: seed exit code on every boot, clear errors, config kept for a retry,
 * Stalled after maxAttempts, the image a restore takes still the one from before the fault.
 */
async function judge(site: FaultSite, fault: string, expectedExit: number, r: Retries, clear: RegExp[], b: Before): Promise<FaultRow> {
  const problems: string[] = [];
  const boots = r.exits.length;
  if (r.exits.includes(0)) {
    const now = await currentImage(site);
    problems.push(`boot ${r.exits.indexOf(0) + 1} exited 0 and reported Succeeded; the image it wrote (${now.image}) ${now.sha256 === b.disk ? 'does hold the disk' : 'does NOT hold the disk: a false success'}`);
  }
  const failed = r.exits.map((e, i) => ({ e, error: r.errors[i]! })).filter((x) => x.e !== 0);
  if (failed.some((x) => x.e !== expectedExit)) problems.push(`exit codes ${r.exits.join(',')}, expected ${expectedExit} on every boot`);
  const unclear = failed.filter((x) => !clear.every((re) => re.test(x.error)));
  if (unclear.length) problems.push(`error does not name what and why (${clear.map(String).join(' and ')}): ${unclear[0]!.error}`);
  if (site.maxAttempts > 1 && r.exits[0] !== 0 && !r.keptForRetry) problems.push('the PXE config was gone after the first failure: no retry');
  if (r.ended === 'looping') problems.push(`the box still boots the maintenance image after ${boots} boots (maxAttempts ${site.maxAttempts})${r.failedPasses.length ? `; reconcile: ${r.failedPasses[0]}` : ''}`);
  else if (r.ended === 'stalled' && boots !== site.maxAttempts) problems.push(`Stalled after ${boots} boots, not ${site.maxAttempts}`);
  const image = await checkGoodImage(site, b.image.sha256, `the image from before the fault (${b.image.image})`);
  problems.push(...image);
  const tempLeft = (await leftovers(site.world.shares.backup)).count - b.temp;
  if (tempLeft > 0) problems.push(`${tempLeft} temp file(s) left on the share by failed runs`);
  return {
    fault,
    expectedExit,
    exits: r.exits,
    clear: failed.length ? unclear.length === 0 : undefined,
    sampleError: failed[0]?.error ?? r.errors[0] ?? '',
    previousIntact: image.length === 0,
    keptForRetry: r.keptForRetry,
    endedAs: r.ended === 'stalled' ? `Stalled after ${boots} boots` : r.ended === 'removed' ? `config removed after ${boots} boot(s): Succeeded` : `looping (${boots} boots, config still there)`,
    tempLeft,
    problems,
    outputs: r.outputs,
  };
}

/** Overwrite about `fraction` of the disk's MiB (not the first) with new random data. */
async function changeDisk(site: FaultSite, fraction: number): Promise<void> {
  const fh = await open(site.box.disk('sda'), 'r+');
  try {
    const size = (await fh.stat()).size;
    for (let mib = 1; mib < size >> 20; mib++) if (Math.random() < fraction) await fh.write(randomFillSync(Buffer.alloc(1 << 20)), 0, 1 << 20, mib << 20);
  } finally {
    await fh.close();
  }
}

/**
 * (a) The backup share fills up in the middle of a backup-again: a filler file leaves
 * `freeMiB` on the share (a tmpfs), and the disk changed more than that since the last image.
 */
export async function diskFull(site: FaultSite, format: ImageFormat, freeMiB = 4): Promise<FaultRow> {
  await changeDisk(site, 0.7);
  const b = await before(site);
  await request(site, 'backup-again', format);
  const fs = await statfs(site.world.shares.backup);
  const filler = join(site.world.shares.backup, 'filler');
  await writeFile(filler, Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - (freeMiB << 20))));
  try {
    const r = await bootUntilSettled(site);
    return await judge(site, `(a) backup share full mid-backup (${format}, ${freeMiB} MiB free)`, 19, r, [/\/dev\/sda/, /no space left|ENOSPC/i], b);
  } finally {
    await rm(filler, { force: true });
  }
}

/**
 * (b) The source disk fails at `offset`: /dev/sda is a FUSE file (failing-disk-server) over
 * the disk's bytes whose reads at or beyond `offset` fail with EIO. At an offset inside a
 * large read, read() first returns the bytes before it (a short read), as a real disk does.
 */
export async function readError(site: FaultSite, offset: number, format: ImageFormat): Promise<FaultRow> {
  const b = await before(site);
  await request(site, 'backup-again', format);
  const dev = site.box.dev;
  const backing = join(site.box.root, 'sda.backing');
  await rename(site.box.disk('sda'), backing);
  let disk: FailingDisk | undefined;
  try {
    disk = await mountFailingDisk(dev, backing, 'sda', offset);
    const r = await bootUntilSettled(site);
    const what = offset % (8 << 20) === 0 ? 'EIO on the read' : 'a short read, then EIO';
    return await judge(site, `(b) source read error at ${offset} (${what}; ${format})`, 19, r, [/\/dev\/sda/, /i\/o error|EIO|short read/i], b);
  } finally {
    await disk?.close();
    await rename(backing, site.box.disk('sda'));
  }
}

/**
 * (c) The fleet repo's remote goes away while a backup-again runs and comes back later: the
 * agent must spool its status, finish (config removed), and the reconciler must forward the
 * spooled status once the remote is back, without losing or duplicating it.
 */
export async function gitAway(site: FaultSite): Promise<FaultRow> {
  const problems: string[] = [];
  await changeDisk(site, 0.2);
  const want = await sha256File(site.box.disk('sda'));
  const id = await request(site, 'backup-again');
  const bare = site.world.repo.bare;
  await rename(bare, `${bare}.away`);
  let agentExit: number | undefined;
  let sampleError = '';
  let awayPass = '';
  try {
    const r = await boot(site);
    agentExit = r?.exitCode;
    if (agentExit !== 0) problems.push(`the agent exited ${agentExit}: ${errorLine(r?.all ?? '')}`);
    const log = await readFile(join(site.boxDir, 'maintenance.log'), 'utf8');
    sampleError = /git unreachable.*$/m.exec(log)?.[0].slice(0, 300) ?? '';
    if (!sampleError.includes('fleet.git')) problems.push(`the box's log does not say the fleet repo was unreachable: ${sampleError || '(no line)'}`);
    const s = await spooled(site.world.shares.backup, site.box.ip);
    if (s?.request !== id || s.phase !== 'Succeeded') problems.push(`the spooled status is ${s?.request}/${s?.phase}, not ${id}/Succeeded`);
    if (await hasConfig(site)) problems.push('the PXE config is still there although the result is spooled');
    const p = await pass(site);
    awayPass = p.exitCode === 0 ? 'pass ok' : `pass exit ${p.exitCode}: ${errorLine(p.all)}`;
  } finally {
    await rename(`${bare}.away`, bare);
  }
  const back = await pass(site);
  if (back.exitCode !== 0) problems.push(`the pass after the remote came back failed: ${errorLine(back.all)}`);
  const inGit = parse(await git(bare, ['show', `main:status/${NAME}.yaml`]).catch(() => '{}')) as { request?: string; phase?: string };
  if (inGit.request !== id || inGit.phase !== 'Succeeded') problems.push(`git holds ${inGit.request}/${inGit.phase} after the remote came back, not ${id}/Succeeded (status lost)`);
  const subjects = (await git(bare, ['log', '--format=%s', 'main'])).split('\n').filter((l) => l.includes(`Succeeded (request ${id})`));
  if (subjects.length !== 1) problems.push(`${subjects.length} Succeeded commits for ${id} in git, expected exactly 1`);
  site.goodHash = want;
  const image = await checkGoodImage(site);
  problems.push(...image);
  return {
    fault: '(c) fleet remote gone during the run, back later',
    expectedExit: 0,
    exits: [agentExit],
    clear: sampleError.includes('fleet.git'),
    sampleError: `${sampleError}; reconcile while away: ${awayPass}`,
    previousIntact: image.length === 0,
    keptForRetry: false,
    endedAs: subjects.length === 1 && inGit.request === id ? 'Succeeded: spooled, forwarded when the remote came back' : 'status lost',
    tempLeft: 0,
    problems,
  };
}

/**
 * (d) A backup share without its marker file (exit 11): `onBox` the box's mount is missing (its
 * --backup is an empty directory, the reconciler's share is fine); otherwise the share itself lost it.
 */
export async function noMarker(site: FaultSite, root: string, onBox: boolean): Promise<FaultRow> {
  const b = await before(site);
  await request(site, 'backup-again');
  const empty = join(root, 'not-mounted-backup');
  await mkdir(empty, { recursive: true });
  const marker = join(site.world.shares.backup, 'testbox-backup');
  if (!onBox) await rm(marker);
  try {
    const r = await bootUntilSettled(site, onBox ? ['--backup', empty] : []);
    return await judge(site, onBox ? "(d) box's backup mount missing its marker" : '(d) backup share missing its marker (box and reconciler)', 11, r, [/testbox-backup/, /not mounted/i], b);
  } finally {
    await writeFile(marker, '');
    await pass(site);
  }
}
