import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { DiskResult, DiskTarget, ImageStore, ImageSummary } from '../imaging/store.js';
import { checkRestoreIdentity } from './identity-gate.js';
import type { DiskReport } from '../schema/types.js';
import { openDisk, type DiskPaths } from './disks.js';
import { AgentFailure, EXIT } from './exit-codes.js';
import type { ProgressReporter } from './progress.js';
import type { SeedLog } from './seed-log.js';

/** What the imaging actions work with. */
export interface ActionDeps {
  boxDir: string;
  /** Where restore reads images from: `boxDir`, or the source box's directory (golden image). */
  imageDir?: string;
  /** restore: this generation instead of the newest (chunked images). */
  generation?: number;
  /** backup-again: generations to keep (chunked images). */
  keep?: number;
  /** Chunked backups skip file-system free space (default true). */
  skipFree?: boolean;
  /** This box (and the request), recorded in images and checked by the restore identity gate. */
  box?: { ip?: string; name?: string; request?: string };
  /** restore: the request says `force: true` (testbox-force=1). */
  force?: boolean;
  disks: string[];
  paths: DiskPaths;
  /** Every store the agent can read (restore picks the newest image per disk among them). */
  stores: ImageStore[];
  /** The store new backups are written with. */
  writeStore: ImageStore;
  seedLog: SeedLog;
  log: Logger;
  /** Where bytes-moved reports go (progress.json, log lines, console bar); optional. */
  progress?: ProgressReporter;
}

/**
 * backup / backup-again (seed step 9): `backup` refuses if any target image exists (code 18);
 * `backup-again` keeps the previous one as the older copy. Disks that are not block devices
 * are skipped; any failure is code 19 and leaves the previous image in place. A disk whose
 * newest image this very request already committed (an earlier attempt was cut off before it
 * could report) is not backed up again: redoing it would refuse (backup) or push the image
 * this request made aside, and lose the one before (gzip's single `.old`).
 */
export async function backupDisks(action: 'backup' | 'backup-again', deps: ActionDeps): Promise<DiskReport[]> {
  const existing = (await newestImages(deps)).filter((i) => deps.disks.includes(i.device));
  const done = new Map(existing.filter((i) => deps.box?.request && i.origin?.request === deps.box.request).map((i) => [i.device, i]));
  for (const img of existing) {
    if (done.has(img.device)) continue;
    if (action === 'backup') throw new AgentFailure(EXIT.imageExists, `${deps.boxDir}/${img.ref} already exists`);
    deps.seedLog.info(`${deps.boxDir}/${img.ref} already exists`);
  }
  const reports: DiskReport[] = [];
  for (const [index, name] of deps.disks.entries()) {
    const disk = await openDisk(name, deps.paths);
    if (!disk) {
      deps.seedLog.info(`Skipping /dev/${name} as it either doesn't exist or isn't a block device`);
      continue;
    }
    const earlier = done.get(name);
    if (earlier) {
      deps.seedLog.info(`/dev/${name}: ${deps.boxDir}/${earlier.ref} was committed by an earlier attempt of request ${deps.box!.request}; not backing it up again`);
      reports.push(reportOf(earlier, disk));
      continue;
    }
    deps.seedLog.info(`Backing up /dev/${name} (${disk.size} bytes) to ${deps.boxDir} as ${deps.writeStore.format}...`);
    try {
      const p = deps.progress?.disk(name, index + 1, deps.disks.length);
      const r = await deps.writeStore.backup(disk, deps.boxDir, {
        replace: action === 'backup-again',
        log: deps.log.child({ disk: name }),
        ...(deps.keep !== undefined ? { keep: deps.keep } : {}),
        ...(deps.skipFree !== undefined ? { skipFree: deps.skipFree } : {}),
        ...(deps.box ? { box: deps.box } : {}),
        ...(p ? { progress: p.update } : {}),
      });
      await p?.end();
      deps.seedLog.info(`Successfully backed up /dev/${name} to ${deps.boxDir}/${r.image}: ${r.bytes} bytes, ${describeDigest(r)}, ${r.seconds.toFixed(1)} s`);
      reports.push(toReport(r, disk));
    } catch (err) {
      throw new AgentFailure(EXIT.backupFailed, `There was a problem backing up /dev/${name}: ${describeError(err)}`, err);
    }
  }
  if (reports.length === 0) throw new AgentFailure(EXIT.backupFailed, `none of ${deps.disks.join(', ')} is a block device here; nothing was backed up`);
  return reports;
}

/**
 * restore (seed step 10): each disk that is a block device and has an image is written from
 * it; a disk without an image is skipped with an info line. Any failure is code 20, and so
 * is restoring nothing at all (a restore that wrote no disk must not report success).
 */
export async function restoreDisks(deps: ActionDeps): Promise<DiskReport[]> {
  const dir = deps.imageDir ?? deps.boxDir;
  const images = new Map((deps.generation ? await generationImages(deps, dir, deps.generation) : await newestImages(deps, dir)).map((i) => [i.device, i]));
  // The identity gate runs for every disk before the first one is written: a refusal on the
  // second disk must not leave the first one already overwritten.
  const work: Array<{ index: number; name: string; disk: DiskTarget; image: ImageSummary }> = [];
  for (const [index, name] of deps.disks.entries()) {
    const disk = await openDisk(name, deps.paths);
    if (!disk) {
      deps.seedLog.info(`Skipping /dev/${name} as it either doesn't exist or isn't a block device.`);
      continue;
    }
    const image = images.get(name);
    if (!image) {
      deps.seedLog.info(`Skipping /dev/${name} because ${dir} holds no image of it${deps.generation ? ` in generation ${deps.generation}` : ''} (no ${name}.gz, no images/${name}/).`);
      continue;
    }
    if (image.newerDamaged && !deps.generation) {
      throw new AgentFailure(EXIT.restoreFailed, `Not restoring /dev/${name}: the newest image of it in ${dir} is unreadable (${image.newerDamaged}); refusing to restore the older ${image.ref} in its place. Run tbx image verify; to restore that older generation on purpose, request it with source: <box>@${image.generation ?? '?'}. 0 bytes written`);
    }
    const verdict = checkRestoreIdentity(disk, image, { ip: deps.box?.ip ?? '', force: deps.force === true });
    if (!verdict.ok) throw new AgentFailure(EXIT.restoreFailed, `Not restoring ${dir}/${image.ref} onto /dev/${name}: ${verdict.reason}`);
    for (const note of verdict.notes) deps.seedLog.info(note);
    work.push({ index, name, disk, image });
  }
  const reports: DiskReport[] = [];
  for (const { index, name, disk, image } of work) {
    deps.seedLog.info(`Restoring ${dir}/${image.ref} onto /dev/${name}...`);
    const store = deps.stores.find((s) => s.format === image.format)!;
    try {
      const p = deps.progress?.disk(name, index + 1, deps.disks.length);
      const r = await store.restore(image, disk, dir, { log: deps.log.child({ disk: name }), ...(p ? { progress: p.update } : {}) });
      await p?.end();
      deps.seedLog.info(`Successfully restored ${dir}/${image.ref} onto /dev/${name}: ${r.bytes} bytes written, ${describeDigest(r)}, read back ${r.readBack ?? 'not checked'}, ${r.seconds.toFixed(1)} s`);
      reports.push(toReport(r, disk));
    } catch (err) {
      throw new AgentFailure(EXIT.restoreFailed, `There was a problem restoring ${dir}/${image.ref} onto /dev/${name}: ${describeError(err)}`, err);
    }
  }
  if (reports.length === 0) throw new AgentFailure(EXIT.restoreFailed, `no image on the share matches a disk of this box (${deps.disks.join(', ')}); nothing was restored`);
  return reports;
}

/** The images of generation `n`, per device (only chunked stores have generations). */
async function generationImages(deps: ActionDeps, dir: string, n: number): Promise<ImageSummary[]> {
  const all = (await Promise.all(deps.stores.map((s) => s.generations?.(dir) ?? Promise.resolve([])))).flat();
  return all.filter((i) => i.generation === n);
}

/** The newest image per device across every store. */
async function newestImages(deps: ActionDeps, dir = deps.boxDir): Promise<ImageSummary[]> {
  const all = (await Promise.all(deps.stores.map((s) => s.list(dir)))).flat();
  const best = new Map<string, ImageSummary>();
  for (const i of all) {
    const cur = best.get(i.device);
    if (!cur || (cur.createdAt ?? '') < (i.createdAt ?? '')) best.set(i.device, i);
  }
  return [...best.values()];
}

function toReport(r: DiskResult, disk: DiskTarget): DiskReport {
  return {
    device: r.device,
    size: disk.size,
    ...(disk.model ? { model: disk.model } : {}),
    ...(disk.serial ? { serial: disk.serial } : {}),
    bytes: r.bytes,
    ...(r.sha256 ? { sha256: r.sha256 } : {}),
    ...(r.digest ? { digest: r.digest } : {}),
    seconds: Math.round(r.seconds * 1000) / 1000,
    image: r.image,
    ...(r.storedBytes !== undefined ? { storedBytes: r.storedBytes } : {}),
    ...(r.mode === 'whole-disk' || r.mode === 'used-blocks' ? { mode: r.mode } : {}),
    ...(r.generation !== undefined ? { generation: r.generation } : {}),
    ...(r.readBack ? { readBack: r.readBack } : {}),
  };
}

/** The report of an image an earlier attempt of the same request committed. */
function reportOf(image: ImageSummary, disk: DiskTarget): DiskReport {
  return toReport({ device: image.device, bytes: image.logicalBytes ?? disk.size, ...(image.sha256 ? { sha256: image.sha256 } : {}), ...(image.digest ? { digest: image.digest } : {}), seconds: 0, image: image.ref, ...(image.mode ? { mode: image.mode } : {}), ...(image.generation !== undefined ? { generation: image.generation } : {}) }, disk);
}

/** `sha256 <hex>` (gzip) or `digest blake3-tree:<hex>, generation n, used-blocks` (chunked). */
function describeDigest(r: DiskResult): string {
  if (r.sha256) return `sha256 ${r.sha256}`;
  return `digest ${r.digest}${r.generation ? `, generation ${r.generation}` : ''}${r.mode ? `, ${r.mode}` : ''}`;
}
