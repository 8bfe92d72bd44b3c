import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { PassResult } from '../reconciler/pass.js';
import { appendDecisions, decisionsOf, heldDecisions, type DecisionEntry } from './events-log.js';
import { countPass, renderMetrics } from './metrics.js';
import { readTelemetryState, withStateLock, writeTelemetryState } from './state-file.js';
import { detectEvents, type RequestEvent } from './transitions.js';
import { deliverWebhook, type WebhookOptions } from './webhook.js';

/** What the observer does after each pass. All of it is optional except the state file. */
export interface AfterPassOptions {
  /** Holds `telemetry.json` (what was notified, counters, undelivered notifications). */
  stateDir: string;
  /** Backup share root: the decision log `tbx-events.jsonl` goes there. */
  backupRoot: string;
  /** Write Prometheus metrics here (atomically, for node_exporter's textfile collector). */
  metricsFile?: string;
  webhook?: WebhookOptions;
  log: Logger;
  now?: () => Date;
}

/** What the observer did. */
export interface AfterPassReport {
  events: RequestEvent[];
  delivered: number;
  undelivered: number;
  metrics: string;
}

/**
 * Observe a finished pass without touching its decisions: log the applied changes and the
 * boxes newly held back to the decision log, detect requests that newly Succeeded, Failed or
 * Stalled, or were found Verified or Unverified by the comeback check (the first run only
 * records a baseline, so installing tbx does not replay history), update the counters, write
 * the metrics file and POST the notifications. Failures are logged, never thrown: the pass
 * already happened.
 */
export async function afterPass(pass: PassResult, o: AfterPassOptions): Promise<AfterPassReport> {
  const now = (o.now ?? (() => new Date()))();
  const statePath = join(o.stateDir, 'telemetry.json');
  const report: AfterPassReport = { events: [], delivered: 0, undelivered: 0, metrics: '' };
  let logged = false;
  const log = async (entries: DecisionEntry[]) => {
    logged = true;
    await appendDecisions(o.backupRoot, entries).catch((err: unknown) => o.log.warn({ err: describeError(err) }, 'decision log not written'));
  };
  try {
    await withStateLock(statePath, async () => {
      const { state, fresh } = await readTelemetryState(statePath);
      // Held boxes are logged when their reason changes, so the log needs the last pass's.
      const held = heldDecisions(pass, state.decisions, now);
      await log([...decisionsOf(pass, now), ...held.entries]);
      state.decisions = held.memory;
      if (pass.plan && pass.desired) {
        const found = detectEvents(pass.plan, pass.desired, state.seen);
        state.seen = found.seen;
        report.events = fresh ? [] : found.events;
        if (fresh && found.events.length) o.log.info({ baseline: found.events.length }, 'first pass with notifications: recorded the current results as already reported');
      }
      countPass(state.counters, pass, report.events);
      report.metrics = renderMetrics(pass, state.counters, now);
      const queue = [...state.pending, ...(o.webhook ? report.events : [])];
      state.pending = queue;
      await writeTelemetryState(statePath, state);
      if (o.webhook && queue.length) {
        const failed: RequestEvent[] = [];
        for (const e of queue) {
          const d = await deliverWebhook(e, o.webhook);
          if (d.ok) {
            report.delivered++;
            o.log.info({ box: e.box, type: e.type, request: e.request, attempts: d.attempts }, 'notification sent');
          } else {
            failed.push(e);
            o.log.warn({ box: e.box, type: e.type, request: e.request, attempts: d.attempts, err: d.error }, 'notification not delivered; will retry after the next pass');
          }
        }
        report.undelivered = failed.length;
        state.pending = failed;
        await writeTelemetryState(statePath, state);
      }
    });
  } catch (err) {
    o.log.error({ err: describeError(err) }, 'metrics and notifications skipped for this pass');
  }
  if (!logged) await log(decisionsOf(pass, now));
  if (o.metricsFile && report.metrics) {
    await writeFileAtomic(o.metricsFile, report.metrics).catch((err: unknown) => o.log.error({ err: describeError(err), file: o.metricsFile }, 'metrics file not written'));
  }
  return report;
}
