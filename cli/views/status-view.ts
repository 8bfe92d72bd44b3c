import type { BoxStatusRow } from '../../reconciler/fleet-status.js';
import { table } from './table.js';

/** `tbx status` as a table, one row per box. */
export function renderStatusText(rows: BoxStatusRow[]): string {
  if (!rows.length) return 'No testboxes in the fleet.';
  return table(
    ['NAME', 'IP', 'ACTION', 'REQUEST', 'PHASE', 'ATTEMPT', 'LAST BACKUP', 'SIZE', 'PXE', 'CONDITIONS'],
    rows.map((r) => [
      r.name + (r.suspended ? ' (suspended)' : ''),
      r.ip,
      r.action,
      r.request ?? '-',
      r.phase,
      r.attempt === null ? '-' : String(r.attempt),
      r.lastBackup ? r.lastBackup.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z') : '-',
      r.backupBytes === null ? '-' : humanBytes(r.backupBytes),
      r.pxe,
      r.conditions.length ? r.conditions.map((c) => c.type).join(',') : '-',
    ]),
  );
}

/** 1536 -> "1.5 KiB". */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}
