import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { writeFileAtomic } from '../lib/atomic-write.js';
import type { HeldMemory } from './events-log.js';
import { emptyCounters, type Counters } from './metrics.js';
import type { RequestEvent, Seen } from './transitions.js';

/** What the reconciler remembers between passes for metrics and notifications. */
export interface TelemetryState {
  version: 1;
  seen: Seen;
  counters: Counters;
  /** Notifications whose delivery failed; retried at the next pass (at most 100 kept). */
  pending: RequestEvent[];
  /** What the decision log last recorded as holding each box back. */
  decisions: HeldMemory;
}

/** Read the state file; `fresh` is true when there was none (the first pass records a baseline). */
export async function readTelemetryState(path: string): Promise<{ state: TelemetryState; fresh: boolean }> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as TelemetryState;
    if (v.version !== 1) throw new Error('unknown version');
    return { state: { version: 1, seen: v.seen ?? {}, counters: { ...emptyCounters(), ...v.counters }, pending: v.pending ?? [], decisions: { held: v.decisions?.held ?? {} } }, fresh: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError) && (err as Error).message !== 'unknown version') throw err;
    return { state: { version: 1, seen: {}, counters: emptyCounters(), pending: [], decisions: { held: {} } }, fresh: (err as NodeJS.ErrnoException).code === 'ENOENT' };
  }
}

/** Write the state file atomically. */
export async function writeTelemetryState(path: string, state: TelemetryState): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify({ ...state, pending: state.pending.slice(-100) })}\n`, { mode: 0o600 });
}

/** Run `fn` holding the state file's lock, so two reconcilers never double-notify. */
export async function withStateLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const release = await lockfile.lock(dirname(path), { lockfilePath: `${path}.lock`, stale: 60_000, retries: { retries: 60, minTimeout: 50, maxTimeout: 1000 } });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
