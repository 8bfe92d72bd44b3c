import type { RequestHistory } from '../fleet/history.js';
import type { AgentLogLine } from '../share/global-log.js';
import type { DecisionEntry } from './events-log.js';

/** One entry of `tbx events`. */
export interface TimelineEvent {
  time: string;
  box: string | null;
  /** `request` (asked in git), `approval` (merged), `decision` (reconciler), `agent` (share log), `result` (status commit), `note` (e.g. Stalled). */
  kind: 'request' | 'approval' | 'decision' | 'agent' | 'result' | 'note';
  /** Who or what: a person, `reconciler` or `agent`. */
  who: string;
  message: string;
  commit?: string;
}

/** Everything `tbx events` merges. */
export interface TimelineSources {
  histories: Map<string, RequestHistory[]>;
  decisions: DecisionEntry[];
  agentLog: AgentLogLine[];
  /** IP -> box name, to name agent log lines. */
  boxesByIp: Map<string, string>;
}

/** Pure: merge requests and approvals and results from git, reconciler decisions and agent log lines, oldest first. */
export function buildTimeline(s: TimelineSources): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (const [box, requests] of s.histories) {
    for (const r of requests) {
      out.push({ time: iso(r.asked.date), box, kind: 'request', who: r.asked.author, message: `asked for ${r.action} (request ${r.request}): ${r.asked.subject}`, commit: r.asked.commit });
      if (r.merged) out.push({ time: iso(r.merged.date), box, kind: 'approval', who: r.merged.author, message: `merged${r.merged.pr ? ` PR ${r.merged.pr}` : ''} with ${r.action} request ${r.request}`, commit: r.merged.commit });
      for (const res of r.results) {
        const st = res.status;
        const bytes = (st.disks ?? []).map((d) => `${d.device} ${d.sha256 ? `sha256 ${d.sha256.slice(0, 12)}` : (d.digest ?? '').slice(0, 24)}`).join(', ');
        out.push({ time: iso(st.finishedAt ?? st.startedAt), box, kind: 'result', who: res.forwarded ? 'reconciler (forwarded)' : 'agent', message: `${st.action} ${st.phase} (request ${st.request}, attempt ${st.attempt})${st.message ? `: ${st.message}` : ''}${bytes ? ` [${bytes}]` : ''}`, commit: res.commit });
      }
      for (const n of r.notes) out.push({ time: iso(n.date), box, kind: 'note', who: 'reconciler', message: `${n.condition}: ${n.message}`, commit: n.commit });
    }
  }
  for (const d of s.decisions) out.push({ time: iso(d.time), box: d.box, kind: 'decision', who: 'reconciler', message: `${d.result}: ${d.detail}` });
  for (const l of s.agentLog) out.push({ time: l.time, box: s.boxesByIp.get(l.ip) ?? l.ip, kind: 'agent', who: 'agent', message: l.level === 'error' ? `error: ${l.text}` : l.text });
  const order = { request: 0, approval: 1, decision: 2, agent: 3, result: 4, note: 5 };
  return out.sort((a, b) => a.time.localeCompare(b.time) || order[a.kind] - order[b.kind]);
}

function iso(t: string): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toISOString();
}
