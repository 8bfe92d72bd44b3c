import { stringify } from 'yaml';
import type { BoxStatusRow } from '../../reconciler/fleet-status.js';
import { painter, paintPhase, type Paint } from './color.js';
import { humanBytes, humanDuration, shortTime } from './format.js';
import { table } from './table.js';

export { humanBytes } from './format.js';

/** How `tbx status` prints: `table` (default), `wide` (more columns), `json` or `yaml`. */
export type StatusFormat = 'table' | 'wide' | 'json' | 'yaml';

/** A progress record older than this is shown as stale (the agent died or lost the share). */
const STALE_MS = 120_000;

/** `tbx status` in the chosen format, one row (or object) per box. */
export function renderStatus(rows: BoxStatusRow[], format: StatusFormat, options: { paint?: Paint; now?: Date } = {}): string {
  if (format === 'json') return JSON.stringify(rows, null, 2);
  if (format === 'yaml') return stringify(rows, { lineWidth: 0 }).trimEnd();
  return renderStatusText(rows, { wide: format === 'wide', ...options });
}

/**
 * `tbx status` as a table (kubectl style). CONDITIONS names the reconciler's conditions of
 * the current request with their reason; `wide` adds labels, progress details and MESSAGE:
 * the agent's last message and the newest condition's message.
 */
export function renderStatusText(rows: BoxStatusRow[], options: { wide?: boolean; paint?: Paint; now?: Date } = {}): string {
  if (!rows.length) return 'No testboxes in the fleet.';
  const p = options.paint ?? painter(false);
  const now = options.now ?? new Date();
  const header = ['NAME', 'IP', 'ACTION', 'REQUEST', 'PHASE', 'ATTEMPT', 'LAST BACKUP', 'SIZE', 'PXE', 'CONDITIONS'];
  if (options.wide) header.push('STORED', 'PROGRESS', 'FINISHED', 'LABELS', 'MESSAGE');
  return table(
    header,
    rows.map((r) => {
      const cells = [
        r.name + (r.suspended ? ' (suspended)' : ''),
        r.ip,
        r.action,
        r.request ?? '-',
        paintPhase(p, r.phase) + (r.progress ? ` ${r.progress.percent.toFixed(0)}%` : ''),
        r.attempt === null ? '-' : String(r.attempt),
        r.lastBackup ? shortTime(r.lastBackup) : '-',
        r.backupBytes === null ? '-' : humanBytes(r.backupBytes),
        r.pxe,
        r.conditions.length ? r.conditions.map(conditionCell).join(',') : '-',
      ];
      if (options.wide) {
        cells.push(
          r.backupStoredBytes === null ? '-' : humanBytes(r.backupStoredBytes),
          r.progress ? describeProgress(r.progress, now) : '-',
          r.finishedAt ? shortTime(r.finishedAt) : '-',
          Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-',
          describeMessage(r),
        );
      }
      return cells;
    }),
  );
}

/** `Verified`, or a problem with its reason: `Unverified(ComebackTimeout)`, `RebootFailed(CommandFailed)`. */
function conditionCell(c: BoxStatusRow['conditions'][number]): string {
  return c.type === 'Verified' || !c.reason ? c.type : `${c.type}(${c.reason})`;
}

/** The agent's message, then the newest reconciler condition in words (why Unverified, why the reboot failed). */
function describeMessage(r: BoxStatusRow): string {
  const c = r.conditions.at(-1);
  return [r.message, c ? `${c.type}: ${c.message}` : null].filter(Boolean).join('; ') || '-';
}

/** `sda 2/2 42% 1.2 GiB/3.0 GiB 85.0 MiB/s ETA 25s`, or a stale marker. */
export function describeProgress(pr: NonNullable<BoxStatusRow['progress']>, now: Date): string {
  const age = now.getTime() - Date.parse(pr.updatedAt);
  const eta = pr.etaSeconds === null ? '?' : humanDuration(pr.etaSeconds);
  const base = `${pr.device} ${pr.disk}/${pr.disks} ${pr.percent.toFixed(1)}% ${humanBytes(pr.bytesDone)}/${humanBytes(pr.bytesTotal)} ${humanBytes(pr.bytesPerSecond)}/s ETA ${eta}`;
  return age > STALE_MS ? `${base} (stale: no update for ${humanDuration(Math.round(age / 1000))})` : base;
}
