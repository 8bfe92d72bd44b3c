import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { DiskResult, ImageStore, ImageSummary } from '../imaging/store.js';
import type { DiskReport } from '../schema/types.js';
import { openDisk, type DiskPaths } from './disks.js';
import { AgentFailure, EXIT } from './exit-codes.js';
import type { ProgressReporter } from './progress.js';
import type { SeedLog } from './seed-log.js';

/** What the imaging actions work with. */
export interface ActionDeps {
  boxDir: string;
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
 * are skipped; any failure is code 19 and leaves the previous image in place.
 */
export async function backupDisks(action: 'backup' | 'backup-again', deps: ActionDeps): Promise<DiskReport[]> {
  const existing = (await newestImages(deps)).filter((i) => deps.disks.includes(i.device));
  for (const img of existing) {
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
    deps.seedLog.info(`Backing up /dev/${name} (${disk.size} bytes) to ${deps.boxDir} as ${deps.writeStore.format}...`);
    try {
      const p = deps.progress?.disk(name, index + 1, deps.disks.length);
      const r = await deps.writeStore.backup(disk, deps.boxDir, { replace: action === 'backup-again', log: deps.log.child({ disk: name }), ...(p ? { progress: p.update } : {}) });
      await p?.end();
      deps.seedLog.info(`Successfully backed up /dev/${name} to ${deps.boxDir}/${r.image}: ${r.bytes} bytes, sha256 ${r.sha256}, ${r.seconds.toFixed(1)} s`);
      reports.push(toReport(r));
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
  const images = new Map((await newestImages(deps)).map((i) => [i.device, i]));
  const reports: DiskReport[] = [];
  for (const [index, name] of deps.disks.entries()) {
    const disk = await openDisk(name, deps.paths);
    if (!disk) {
      deps.seedLog.info(`Skipping /dev/${name} as it either doesn't exist or isn't a block device.`);
      continue;
    }
    const image = images.get(name);
    if (!image) {
      deps.seedLog.info(`Skipping /dev/${name} because ${deps.boxDir}/${name}.gz does not exist.`);
      continue;
    }
    deps.seedLog.info(`Restoring ${deps.boxDir}/${image.ref} onto /dev/${name}...`);
    const store = deps.stores.find((s) => s.format === image.format)!;
    try {
      const p = deps.progress?.disk(name, index + 1, deps.disks.length);
      const r = await store.restore(image, disk, deps.boxDir, { log: deps.log.child({ disk: name }), ...(p ? { progress: p.update } : {}) });
      await p?.end();
      deps.seedLog.info(`Successfully restored ${deps.boxDir}/${image.ref} onto /dev/${name}: ${r.bytes} bytes, sha256 ${r.sha256}, ${r.seconds.toFixed(1)} s`);
      reports.push(toReport(r));
    } catch (err) {
      throw new AgentFailure(EXIT.restoreFailed, `There was a problem restoring ${deps.boxDir}/${image.ref} onto /dev/${name}: ${describeError(err)}`, err);
    }
  }
  if (reports.length === 0) throw new AgentFailure(EXIT.restoreFailed, `no image on the share matches a disk of this box (${deps.disks.join(', ')}); nothing was restored`);
  return reports;
}

/** The newest image per device across every store. */
async function newestImages(deps: ActionDeps): Promise<ImageSummary[]> {
  const all = (await Promise.all(deps.stores.map((s) => s.list(deps.boxDir)))).flat();
  const best = new Map<string, ImageSummary>();
  for (const i of all) {
    const cur = best.get(i.device);
    if (!cur || (cur.createdAt ?? '') < (i.createdAt ?? '')) best.set(i.device, i);
  }
  return [...best.values()];
}

function toReport(r: DiskResult): DiskReport {
  return { device: r.device, bytes: r.bytes, sha256: r.sha256, seconds: Math.round(r.seconds * 1000) / 1000, image: r.image, ...(r.storedBytes !== undefined ? { storedBytes: r.storedBytes } : {}) };
}
