import type { RequestHistory } from '../../fleet/history.js';
import type { ImageSummary } from '../../imaging/store.js';
import { humanBytes, shortTime, utcTime } from './format.js';
import { table } from './table.js';

/** What `tbx history` shows for one box: its requests from git and, with --backup, its images. */
export interface BoxHistoryView {
  box: string;
  ip: string | null;
  requests: RequestHistory[];
  /** Every image on the share, each generation of each disk, oldest first (null: the share was not given). */
  images: (ImageSummary & { generation?: number })[] | null;
}

/**
 * `tbx history <box>` for a terminal: one block per request, oldest first, then the images.
 * Times are UTC (`2026-11-25 10:00:00Z`), whatever zone git or the agent wrote them in.
 */
export function renderHistoryText(v: BoxHistoryView): string {
  const out: string[] = [`History of ${v.box}${v.ip ? ` (${v.ip})` : ''}`, ''];
  if (!v.requests.length) out.push('No requests in the fleet repo\'s history.', '');
  const when = utcTime;
  const who = (c: { author: string; email: string }) => `${c.author} <${c.email}>`;
  for (const r of v.requests) {
    out.push(`request ${r.request}: ${r.action}`);
    out.push(`  asked      ${when(r.asked.date)}  by ${who(r.asked)}  ${r.asked.commit.slice(0, 10)} "${r.asked.subject}"`);
    if (r.merged) out.push(`  approved   ${when(r.merged.date)}  by ${who(r.merged)}  merge ${r.merged.commit.slice(0, 10)}${r.merged.pr ? `  PR ${r.merged.pr}` : ''}`);
    else out.push('  approved   - (pushed directly, no merge commit)');
    for (const res of r.results) {
      const s = res.status;
      out.push(`  attempt ${String(s.attempt).padEnd(2)} ${s.phase.padEnd(9)} agent started ${when(s.startedAt)}${s.finishedAt ? `, finished ${when(s.finishedAt)}` : ''}${res.forwarded ? ' (forwarded from the share)' : ''}  ${res.commit.slice(0, 10)}`);
      if (s.message) out.push(`               ${s.message}`);
      for (const d of s.disks ?? []) out.push(`               ${d.device}: ${humanBytes(d.bytes)} in ${d.seconds}s${d.image ? ` (${d.image})` : ''}${d.storedBytes !== undefined ? `, ${humanBytes(d.storedBytes)} stored` : ''}, ${d.sha256 ? `sha256 ${d.sha256}` : `digest ${d.digest}${d.generation ? `, generation ${d.generation}` : ''}`}`);
    }
    for (const n of r.notes) out.push(`  ${n.condition.toLowerCase().padEnd(10)} ${when(n.date)}  ${n.reason ? `${n.reason}: ` : ''}${n.message}`);
    const last = r.results.at(-1)?.status;
    // The comeback check's verdict qualifies a Succeeded: did the box boot its OS again?
    const comeback = r.notes.filter((n) => n.condition === 'Verified' || n.condition === 'Unverified').at(-1);
    const result = r.notes.some((n) => n.condition === 'Stalled') ? 'Stalled' : (last?.phase ?? 'pending (no report yet)');
    out.push(`  result     ${result}${comeback && last?.phase === 'Succeeded' ? `, ${comeback.condition}` : ''}`);
    out.push('');
  }
  if (v.images) {
    out.push(`Images on the backup share${v.ip ? ` (${v.ip}/)` : ''}:`);
    if (!v.images.length) out.push('  none');
    else {
      const digest = (i: ImageSummary) => i.sha256 ?? i.digest ?? lastDigest(v.requests, i) ?? '-';
      const rows = v.images.map((i) => [i.device, i.generation === undefined ? '-' : String(i.generation), i.ref, i.createdAt ? shortTime(i.createdAt) : '-', i.logicalBytes === null ? '-' : humanBytes(i.logicalBytes), humanBytes(i.storedBytes), digest(i)]);
      out.push(...table(['DEVICE', 'GEN', 'IMAGE', 'TAKEN', 'SIZE', 'STORED', 'DIGEST (RAW DISK)'], rows).split('\n').map((l) => `  ${l}`));
      out.push(`  ${STORED_NOTE}`);
    }
  }
  return out.join('\n').trimEnd();
}

/** What SIZE and STORED mean, printed under image tables. */
export const STORED_NOTE = 'SIZE: the disk the image was taken from. STORED: bytes the backup added to the share (a chunked generation stores only chunks no earlier image had, so an unchanged disk stores almost nothing).';

/** The raw-disk digest a successful backup reported for this image, newest first. */
function lastDigest(requests: RequestHistory[], img: ImageSummary): string | undefined {
  for (const r of [...requests].reverse()) {
    for (const res of [...r.results].reverse()) {
      const s = res.status;
      if (s.phase !== 'Succeeded' || !s.action.startsWith('backup')) continue;
      const d = s.disks?.find((x) => x.device === img.device && (!x.image || x.image === img.ref));
      if (d) return d.sha256 ?? d.digest;
    }
  }
  return undefined;
}
