import type { GcReport } from '../../imaging/chunked/gc.js';
import type { ImageRow, SpaceReport } from '../../imaging/chunked/space.js';
import type { VerifyReport } from '../../imaging/chunked/verify.js';
import { humanBytes } from './status-view.js';
import { table } from './table.js';

/** `tbx image ls` as a table: one row per generation or seed image. */
export function renderImageList(rows: ImageRow[], now: Date): string {
  if (!rows.length) return 'No images on the backup share.';
  return table(
    ['BOX', 'DISK', 'GEN', 'FORMAT', 'AGE', 'LOGICAL', 'DATA', 'STORED', 'NEW', 'MODE', 'DIGEST'],
    rows.map((r) => [
      r.ip,
      r.device,
      r.generation === null ? '-' : String(r.generation),
      r.format,
      r.createdAt ? age(new Date(r.createdAt), now) : '-',
      r.logicalBytes === null ? '-' : humanBytes(r.logicalBytes),
      r.dataBytes === null ? '-' : humanBytes(r.dataBytes),
      humanBytes(r.storedBytes),
      humanBytes(r.newBytes),
      r.mode ?? '-',
      r.digest ? `${r.digest.slice(0, r.digest.indexOf(':') + 13)}...` : '-',
    ]),
  );
}

/** `tbx image du`: space per box and the dedup ratio. */
export function renderSpace(r: SpaceReport): string {
  const rows = r.boxes.map((b) => [b.ip, String(b.generations), humanBytes(b.dataBytes), humanBytes(b.uniqueBytes), humanBytes(b.sharedBytes), b.gzipBytes ? humanBytes(b.gzipBytes) : '-']);
  return [
    table(['BOX', 'GENERATIONS', 'DATA', 'UNIQUE', 'SHARED', 'SEED GZIP'], rows),
    '',
    `chunk store: ${humanBytes(r.storeBytes)} in packs, ${humanBytes(r.referencedBytes)} referenced (${humanBytes(Math.max(0, r.storeBytes - r.referencedBytes))} reclaimable by tbx image gc)`,
    `dedup and compression: ${humanBytes(r.dataBytes)} of disk data in ${humanBytes(r.referencedBytes)} stored, ${r.ratio.toFixed(1)}x`,
  ].join('\n');
}

/** `tbx image verify`: a summary line, then each problem. */
export function renderVerify(r: VerifyReport & { gzipChecked?: number; gzipUnchecked?: number }): string {
  const gz = r.gzipChecked !== undefined ? `; ${r.gzipChecked} gzip image(s) checked against their .sha256${r.gzipUnchecked ? `, ${r.gzipUnchecked} without one (seed images: not checkable)` : ''}` : '';
  const head = `${r.generations} generation(s), ${r.chunks} chunk(s) in ${r.frames} frame(s), ${humanBytes(r.bytes)} read and re-hashed${gz}`;
  return r.problems.length ? `${head}\n${r.problems.length} problem(s):\n${r.problems.map((p) => `  - ${p}`).join('\n')}` : `${head}: all good`;
}

/** `tbx image gc`: what was (or would be) removed. */
export function renderGc(r: GcReport): string {
  const verb = r.dryRun ? 'would free' : 'freed';
  return `${r.generations} generation(s) reference ${r.referencedChunks} chunk(s) in ${r.packs} pack(s); ${r.deletedPacks} pack(s) deleted, ${r.repackedPacks} repacked, ${r.deletedOrphans} orphan file(s) removed; ${verb} ${humanBytes(r.freedBytes)}${r.dryRun ? ' (dry run: nothing changed)' : ''}`;
}

function age(then: Date, now: Date): string {
  const s = Math.max(0, (now.getTime() - then.getTime()) / 1000);
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
