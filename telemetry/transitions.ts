import type { Desired } from '../fleet/read-desired.js';
import { EXIT } from '../agent/exit-codes.js';
import type { Plan } from '../reconciler/plan-types.js';
import { newer } from '../reconciler/request-state.js';
import type { DiskReport, TestboxStatus } from '../schema/types.js';

/** A request reached an end a human wants to hear about; Verified and Unverified are the comeback check's verdict after Succeeded. */
export type EventType = 'Succeeded' | 'Failed' | 'Stalled' | 'Verified' | 'Unverified';

/**
 * One notification, as POSTed to the webhook (the payload is documented in
 * docs/tbx-reconcile.1.md). `text` is a one-line summary for chat tools.
 */
export interface RequestEvent {
  apiVersion: 'tbx/v1';
  kind: 'TestboxEvent';
  type: EventType;
  box: string;
  ip: string;
  action: string;
  request: string;
  attempt: number;
  maxAttempts: number;
  message: string | null;
  exitCode: number | null;
  /** The seed exit code's name (`restore-failed`) for failures; the condition's reason for Verified and Unverified. */
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  bytes: number;
  disks: DiskReport[];
  /** Fleet revision of the pass that saw it. */
  revision: string | null;
  text: string;
}

/** What was already reported, per box: the keys of the current request's reported ends. */
export type Seen = Record<string, string[]>;

/**
 * Pure: the request ends visible after a pass that were not in `seen`, and the new `seen`.
 * A status counts when it belongs to the box's current request and action and comes from
 * git or a status the pass forwards from the share. A box whose request stalled reports
 * its last failure (if unseen) and then `Stalled`, once. Verdicts the plan records in a note
 * (Verified, Unverified, Failed on Timeout) are reported once each.
 */
export function detectEvents(plan: Plan, desired: Pick<Desired, 'boxes' | 'statuses' | 'site'>, seen: Seen): { events: RequestEvent[]; seen: Seen } {
  const next: Seen = {};
  const events: RequestEvent[] = [];
  const maxAttempts = desired.site?.policy.maxAttempts ?? 3;
  for (const box of desired.boxes) {
    const bp = plan.boxes.find((b) => b.name === box.name);
    if (!bp || !box.request || box.action === 'none') {
      if (seen[box.name]) next[box.name] = seen[box.name]!;
      continue;
    }
    const mine = (s: TestboxStatus | undefined) => (s && s.request === box.request && s.action === box.action ? s : undefined);
    const forwarded = bp.changes.flatMap((c) => (c.op === 'forward-status' ? [c.status] : []));
    const status = newer(mine(desired.statuses.get(box.name)), mine(forwarded.at(-1)));
    const prefix = `${box.request}/${box.action}/`;
    const keys = (seen[box.name] ?? []).filter((k) => k.startsWith(prefix));
    const emit = (type: EventType, key: string, s: TestboxStatus, reason?: string) => {
      if (keys.includes(key)) return;
      keys.push(key);
      events.push(toEvent(type, s, maxAttempts, plan.revision, reason));
    };
    if (status && (status.phase === 'Succeeded' || status.phase === 'Failed')) emit(status.phase, `${prefix}${status.attempt}/${status.phase}`, status);
    if (status && bp.outcome === 'stalled') emit('Stalled', `${prefix}stalled`, status);
    // Conclusions the reconciler records itself: the box came back or did not, or it timed out.
    for (const c of bp.changes) {
      const cond = c.op === 'write-note' ? c.note.conditions.at(-1) : undefined;
      if (!cond || (cond.type !== 'Verified' && cond.type !== 'Unverified' && !(cond.type === 'Failed' && cond.reason === 'Timeout'))) continue;
      const base: TestboxStatus = status ?? { apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: box.name, ip: box.ip, request: box.request, action: box.action, attempt: 0, phase: 'Failed', startedAt: cond.at };
      const type: EventType = cond.type === 'Failed' ? 'Failed' : (cond.type as 'Verified' | 'Unverified');
      emit(type, `${prefix}${cond.type}/${cond.reason}`, { ...base, message: `${cond.reason}: ${cond.message}` }, type === 'Failed' ? undefined : cond.reason);
    }
    if (keys.length) next[box.name] = keys.slice(-20);
  }
  return { events, seen: next };
}

const EXIT_NAMES = new Map<number, string>(Object.entries(EXIT).map(([k, v]) => [v, k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)]));

/** `reason` overrides the exit code's name: a comeback verdict's condition reason (CheckPassed, ComebackTimeout). */
function toEvent(type: EventType, s: TestboxStatus, maxAttempts: number, revision: string | null, reason?: string): RequestEvent {
  const duration = s.finishedAt ? (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000 : null;
  const bytes = (s.disks ?? []).reduce((n, d) => n + d.bytes, 0);
  const what = `${s.name}: ${s.action} ${type} (request ${s.request}, attempt ${s.attempt} of ${maxAttempts})`;
  const failed = type === 'Failed' || type === 'Stalled';
  return {
    apiVersion: 'tbx/v1',
    kind: 'TestboxEvent',
    type,
    box: s.name,
    ip: s.ip,
    action: s.action,
    request: s.request,
    attempt: s.attempt,
    maxAttempts,
    message: s.message ?? null,
    exitCode: s.exitCode ?? null,
    reason: reason ?? (failed ? (s.exitCode !== undefined ? (EXIT_NAMES.get(s.exitCode) ?? `exit-${s.exitCode}`) : 'unknown') : null),
    startedAt: s.startedAt,
    finishedAt: s.finishedAt ?? null,
    durationSeconds: duration,
    bytes,
    disks: s.disks ?? [],
    revision,
    text: type === 'Stalled' ? `${what}: gave up after ${s.attempt} failed attempts; the box boots its disk until a new request id is set` : `${what}${s.message ? `: ${s.message}` : ''}`,
  };
}
