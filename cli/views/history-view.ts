import type { RequestHistory } from '../../fleet/history.js';

/** `tbx history <box>` for a terminal: one block per request, oldest first. */
export function renderHistoryText(name: string, history: RequestHistory[]): string {
  if (!history.length) return `${name}: no requests in the fleet repo's history.`;
  const when = (iso: string) => iso.replace('T', ' ').replace(/(:\d\d)([+-]\d\d:\d\d|Z)$/, '$1');
  const who = (c: { author: string; email: string }) => `${c.author} <${c.email}>`;
  const out: string[] = [`History of ${name}`, ''];
  for (const r of history) {
    out.push(`request ${r.request}: ${r.action}`);
    out.push(`  asked    ${when(r.asked.date)}  by ${who(r.asked)}  ${r.asked.commit.slice(0, 10)} "${r.asked.subject}"`);
    if (r.merged) out.push(`  merged   ${when(r.merged.date)}  by ${who(r.merged)}  ${r.merged.commit.slice(0, 10)}${r.merged.pr ? ` PR ${r.merged.pr}` : ''} "${r.merged.subject}"`);
    else out.push('  merged   (pushed directly, no merge commit)');
    for (const res of r.results) {
      const s = res.status;
      out.push(`  attempt ${s.attempt}  ${s.phase.padEnd(9)} started ${when(s.startedAt)}${s.finishedAt ? `, finished ${when(s.finishedAt)}` : ''}${res.forwarded ? ' (forwarded from the share)' : ''}  ${res.commit.slice(0, 10)}`);
      if (s.message) out.push(`             ${s.message}`);
      for (const d of s.disks ?? []) out.push(`             ${d.device}: ${d.bytes} bytes in ${d.seconds}s, ${d.sha256 ? `sha256 ${d.sha256}` : `digest ${d.digest}${d.generation ? `, generation ${d.generation}` : ''}`}`);
    }
    for (const n of r.notes) out.push(`  ${n.condition.toLowerCase().padEnd(8)} ${when(n.date)}  ${n.message}`);
    const last = r.results.at(-1)?.status;
    out.push(`  result   ${r.notes.some((n) => n.condition === 'Stalled') ? 'Stalled' : (last?.phase ?? 'pending (no report yet)')}`);
    out.push('');
  }
  return out.join('\n').trimEnd();
}
