import { boxHistory } from '../fleet/history.js';
import type { Desired } from '../fleet/read-desired.js';
import type { ImageStore, ImageSummary } from '../imaging/store.js';
import { fleetStatus, type BoxStatusRow } from '../reconciler/fleet-status.js';
import { boxDir } from '../share/layout.js';

/** One finished attempt, for the sparkline. */
export interface ResultPoint {
  at: string;
  action: string;
  request: string;
  phase: string;
  seconds: number | null;
  bytes: number;
}

/** One box of the report. */
export interface ReportBox extends BoxStatusRow {
  images: (ImageSummary & { generation?: number })[];
  /** Newest successful backups, newest first (at most 3). */
  lastBackups: ResultPoint[];
  /** Finished attempts, oldest first (at most 30). */
  history: ResultPoint[];
}

/** Everything the HTML page shows. */
export interface FleetReport {
  generatedAt: string;
  revision: string | null;
  fleet: string;
  boxes: ReportBox[];
}

/** Gather the report: status rows, each box's results from git history and its images on the share. */
export async function buildFleetReport(desired: Desired, o: { fleet: string; checkoutDir: string; backupRoot: string; tftpRoot?: string; stores: ImageStore[]; now: Date }): Promise<FleetReport> {
  const rows = await fleetStatus(desired, { backupRoot: o.backupRoot, stores: o.stores, ...(o.tftpRoot ? { tftpRoot: o.tftpRoot } : {}) });
  const boxes: ReportBox[] = [];
  for (const row of rows) {
    const history = (await boxHistory(o.checkoutDir, row.name))
      .flatMap((r) => r.results)
      .map((res) => res.status)
      .filter((s) => s.phase !== 'Running')
      .map((s) => ({ at: s.finishedAt ?? s.startedAt, action: s.action, request: s.request, phase: s.phase, seconds: s.finishedAt ? (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000 : null, bytes: (s.disks ?? []).reduce((n, d) => n + d.bytes, 0) }))
      .sort((a, b) => a.at.localeCompare(b.at));
    const images = (await Promise.all(o.stores.map((s) => s.list(boxDir(o.backupRoot, row.ip))))).flat();
    boxes.push({ ...row, images, history: history.slice(-30), lastBackups: history.filter((h) => h.phase === 'Succeeded' && h.action.startsWith('backup')).reverse().slice(0, 3) });
  }
  return { generatedAt: o.now.toISOString(), revision: desired.revision, fleet: o.fleet, boxes };
}
