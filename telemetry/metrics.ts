import type { PassResult } from '../reconciler/pass.js';
import type { RequestEvent } from './transitions.js';

/** Upper bounds (seconds) of the action duration histogram. */
export const DURATION_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14400, 28800];

/** Counters that survive between passes (kept in the telemetry state file). */
export interface Counters {
  passes: Record<string, number>;
  actions: Record<string, number>;
  bytes: Record<string, number>;
  failures: Record<string, number>;
  /** Per action: bucket counts (same order as DURATION_BUCKETS, then +Inf), sum and count. */
  durations: Record<string, { buckets: number[]; sum: number; count: number }>;
}

/** Empty counters. */
export function emptyCounters(): Counters {
  return { passes: {}, actions: {}, bytes: {}, failures: {}, durations: {} };
}

/** Add a pass and its request events to the counters (mutates and returns `c`). */
export function countPass(c: Counters, pass: Pick<PassResult, 'outcome'>, events: RequestEvent[]): Counters {
  c.passes[pass.outcome] = (c.passes[pass.outcome] ?? 0) + 1;
  for (const e of events) {
    if (e.type === 'Stalled') continue;
    const key = `${e.action}\u0000${e.type}`;
    c.actions[key] = (c.actions[key] ?? 0) + 1;
    // A comeback verdict follows a Succeeded already counted: its bytes and duration were counted then.
    if (e.type === 'Verified' || e.type === 'Unverified') continue;
    c.bytes[e.action] = (c.bytes[e.action] ?? 0) + e.bytes;
    if (e.type === 'Failed') c.failures[e.reason ?? 'unknown'] = (c.failures[e.reason ?? 'unknown'] ?? 0) + 1;
    if (e.durationSeconds !== null) {
      const h = (c.durations[e.action] ??= { buckets: Array(DURATION_BUCKETS.length + 1).fill(0) as number[], sum: 0, count: 0 });
      const i = DURATION_BUCKETS.findIndex((b) => e.durationSeconds! <= b);
      h.buckets[i === -1 ? DURATION_BUCKETS.length : i]!++;
      h.sum += e.durationSeconds;
      h.count++;
    }
  }
  return c;
}

/** The phase a box is counted under in `tbx_boxes`. */
export function metricPhase(b: { outcome: string; phase: string | null; action: string }): string {
  if (b.outcome === 'stalled') return 'Stalled';
  if (b.outcome === 'suspended') return 'Suspended';
  if (b.action === 'none') return 'Idle';
  if (b.outcome === 'done') return 'Succeeded';
  return b.phase ?? 'Pending';
}

/**
 * Render Prometheus text exposition format (version 0.0.4) for node_exporter's textfile
 * collector or `/metrics`: gauges from the last pass and the counters so far.
 */
export function renderMetrics(pass: PassResult, counters: Counters, now: Date): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) out.push(`${name}${fmtLabels(labels)} ${Number.isFinite(v) ? v : 0}`);
  };
  const boxes = (pass.plan?.boxes ?? []).filter((b) => pass.desired?.boxes.some((d) => d.name === b.name) ?? true);
  const phases = ['Idle', 'Pending', 'Running', 'Succeeded', 'Failed', 'Stalled', 'Rescue', 'Suspended'];
  const byPhase = new Map(phases.map((p) => [p, 0]));
  for (const b of boxes) byPhase.set(metricPhase(b), (byPhase.get(metricPhase(b)) ?? 0) + 1);
  if (pass.plan) {
    metric('tbx_boxes', 'gauge', 'Testboxes by phase of their current request.', [...byPhase].map(([phase, n]) => [{ phase }, n]));
    metric('tbx_queue_length', 'gauge', 'Boxes waiting for a maintenance slot (policy.maxConcurrent).', [[{}, boxes.filter((b) => b.outcome === 'queued').length]]);
    metric('tbx_blocked_boxes', 'gauge', 'Boxes whose request cannot start (see tbx plan for why).', [[{}, boxes.filter((b) => b.outcome === 'blocked').length]]);
  }
  metric('tbx_last_pass_timestamp_seconds', 'gauge', 'When the last reconcile pass ended (Unix time).', [[{}, Math.floor(now.getTime() / 1000)]]);
  metric('tbx_last_pass_duration_seconds', 'gauge', 'How long the last reconcile pass took.', [[{}, pass.durationMs / 1000]]);
  metric('tbx_last_pass_success', 'gauge', '1 when the last pass applied its plan without failures, else 0.', [[{}, pass.outcome === 'applied' && !pass.apply?.failed.length ? 1 : 0]]);
  if (pass.apply) {
    metric('tbx_last_pass_changes', 'gauge', 'Changes of the last pass by result.', (['applied', 'skipped', 'failed'] as const).map((r) => [{ result: r }, pass.apply![r].length]));
  }
  metric('tbx_passes_total', 'counter', 'Reconcile passes by outcome (applied, invalid, busy).', Object.entries(counters.passes).map(([outcome, n]) => [{ outcome }, n]));
  metric('tbx_actions_total', 'counter', 'Finished maintenance actions by action and result.', Object.entries(counters.actions).map(([k, n]) => {
    const [action, result] = k.split('\u0000');
    return [{ action: action!, result: result! }, n];
  }));
  metric('tbx_imaged_bytes_total', 'counter', 'Raw disk bytes backed up or restored, by action.', Object.entries(counters.bytes).map(([action, n]) => [{ action }, n]));
  metric('tbx_failures_total', 'counter', 'Failed attempts by reason (the agent exit code name).', Object.entries(counters.failures).map(([reason, n]) => [{ reason }, n]));
  out.push('# HELP tbx_action_duration_seconds Duration of finished maintenance actions.', '# TYPE tbx_action_duration_seconds histogram');
  for (const [action, h] of Object.entries(counters.durations)) {
    let cum = 0;
    DURATION_BUCKETS.forEach((b, i) => {
      cum += h.buckets[i] ?? 0;
      out.push(`tbx_action_duration_seconds_bucket${fmtLabels({ action, le: String(b) })} ${cum}`);
    });
    out.push(`tbx_action_duration_seconds_bucket${fmtLabels({ action, le: '+Inf' })} ${h.count}`);
    out.push(`tbx_action_duration_seconds_sum${fmtLabels({ action })} ${h.sum}`, `tbx_action_duration_seconds_count${fmtLabels({ action })} ${h.count}`);
  }
  return `${out.join('\n')}\n`;
}

function fmtLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}
