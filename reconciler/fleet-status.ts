import type { Desired } from '../fleet/read-desired.js';
import type { ImageStore } from '../imaging/store.js';
import { hexIp } from '../lib/hex-ip.js';
import { currentConditions } from './notes.js';
import { readProgress, type ProgressRecord } from '../share/progress-file.js';
import { observe } from './observe.js';
import { newer, requestState } from './request-state.js';

/** One row of `tbx status`. */
export interface BoxStatusRow {
  name: string;
  ip: string;
  action: string;
  request: string | null;
  /** Phase of the current request: Pending, Running, Succeeded, Failed, Rescue or Stalled; for action none, the last result. */
  phase: string;
  attempt: number | null;
  message: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Live imaging progress of the current request while it is Running (from progress.json). */
  progress: ProgressRecord | null;
  /** Time of the newest image on the share. */
  lastBackup: string | null;
  /**
   * Size of the disks the newest images were taken from (logical bytes, what a restore
   * writes); null when there is no image or none records its disk size (seed images).
   */
  backupBytes: number | null;
  /**
   * Bytes those backups added to the share: a gzip image's file size; for a chunked
   * generation only chunks no earlier image had, so 0 after a backup-again of an unchanged disk.
   */
  backupStoredBytes: number | null;
  /** `active` (tbx's config), `foreign` (a file tbx did not write), `none`, or `unknown` (no TFTP root given). */
  pxe: 'active' | 'foreign' | 'none' | 'unknown';
  suspended: boolean;
  labels: Record<string, string>;
  /** Reconciler conditions recorded for the current request (Stalled, RebootFailed, Verified, ...). */
  conditions: { type: string; reason: string; message: string; at: string }[];
}

/**
 * The fleet's state per box, from git (statuses and notes), the backup share (spooled
 * statuses, images) and, when given, the TFTP share (active configs).
 */
export async function fleetStatus(desired: Desired, options: { tftpRoot?: string; backupRoot: string; stores: ImageStore[] }): Promise<BoxStatusRow[]> {
  const observed = await observe(
    desired.boxes.map((b) => b.ip),
    { tftpRoot: options.tftpRoot ?? '/nonexistent', backupRoot: options.backupRoot, stores: options.stores },
  );
  const maxAttempts = desired.site?.policy.maxAttempts ?? 3;
  return Promise.all(desired.boxes.map(async (box) => {
    const share = observed.boxes.get(box.ip);
    const git = desired.statuses.get(box.name);
    const state = requestState(box, git, share?.spooled, maxAttempts);
    const last = box.action === 'none' ? newer(git, share?.spooled) : state.status;
    const phase = state.stalled ? 'Stalled' : box.action === 'none' ? (last ? last.phase : '-') : (state.status?.phase ?? 'Pending');
    const images = share?.images ?? [];
    const pxe = observed.pxe.get(hexIp(box.ip));
    const live = phase === 'Running' ? await readProgress(options.backupRoot, box.ip) : undefined;
    const progress = live && live.request === (box.request ?? null) && live.action === box.action && live.state === 'running' ? live : null;
    return {
      name: box.name,
      ip: box.ip,
      action: box.action,
      request: box.request ?? null,
      phase,
      attempt: last?.attempt ?? null,
      message: last?.message ?? null,
      startedAt: last?.startedAt ?? null,
      finishedAt: last?.finishedAt ?? null,
      progress,
      lastBackup: images.length ? images.map((i) => i.createdAt ?? '').sort().at(-1) || null : null,
      backupBytes: images.some((i) => i.logicalBytes !== null) ? images.reduce((n, i) => n + (i.logicalBytes ?? 0), 0) : null,
      backupStoredBytes: images.length ? images.reduce((n, i) => n + i.storedBytes, 0) : null,
      pxe: options.tftpRoot === undefined ? 'unknown' : !pxe ? 'none' : pxe.owner && !pxe.irregular ? 'active' : 'foreign',
      suspended: box.suspend,
      labels: box.labels ?? {},
      conditions: currentConditions(box, desired.notes.get(box.name)),
    };
  }));
}
