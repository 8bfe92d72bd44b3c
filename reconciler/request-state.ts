import type { Testbox, TestboxStatus } from '../schema/types.js';

/** Where a box's current request stands, derived from git's status and the share's spool. */
export interface RequestState {
  /** The newest status that belongs to the box's current request and action, if any. */
  status?: TestboxStatus;
  /** A spooled result newer than git's: the reconciler commits it. */
  forward?: TestboxStatus;
  /** The request Succeeded. */
  done: boolean;
  /**
   * The request must not be retried: it failed `maxAttempts` times, or the box has started
   * more attempts than that without finishing the earlier ones (it crashed or lost power
   * mid-action, over and over: the boot-loop breaker).
   */
  stalled: boolean;
}

/**
 * Order two statuses: the later start wins, then the higher attempt, then a finished
 * phase over Running. Returns the newer one (or the only one).
 */
export function newer(a: TestboxStatus | undefined, b: TestboxStatus | undefined): TestboxStatus | undefined {
  if (!a || !b) return a ?? b;
  const ta = Date.parse(a.startedAt);
  const tb = Date.parse(b.startedAt);
  if (ta !== tb) return ta > tb ? a : b;
  if (a.attempt !== b.attempt) return a.attempt > b.attempt ? a : b;
  if ((a.phase === 'Running') !== (b.phase === 'Running')) return a.phase === 'Running' ? b : a;
  return (a.finishedAt ?? '') >= (b.finishedAt ?? '') ? a : b;
}

/** True when two statuses describe the same report (so nothing needs forwarding). */
export function sameReport(a: TestboxStatus, b: TestboxStatus): boolean {
  return a.request === b.request && a.action === b.action && a.attempt === b.attempt && a.phase === b.phase && a.startedAt === b.startedAt && a.finishedAt === b.finishedAt;
}

/** Pure: the state of `box`'s current request given git's status and the spooled one. */
export function requestState(box: Testbox, git: TestboxStatus | undefined, spooled: TestboxStatus | undefined, maxAttempts: number): RequestState {
  const state: RequestState = { done: false, stalled: false };
  if (spooled && spooled.phase !== 'Running' && (!git || (!sameReport(spooled, git) && newer(spooled, git) === spooled))) {
    state.forward = spooled;
  }
  const mine = (s: TestboxStatus | undefined) => (s && s.request === box.request && s.action === box.action ? s : undefined);
  const status = newer(mine(git), mine(spooled));
  if (!status) return state;
  state.status = status;
  state.done = status.phase === 'Succeeded';
  // An attempt that reported Running and never finished ended badly too: attempt N+1 only
  // starts after attempt N, so Running past maxAttempts means maxAttempts attempts are spent.
  state.stalled = (status.phase === 'Failed' && status.attempt >= maxAttempts) || (status.phase === 'Running' && status.attempt > maxAttempts);
  return state;
}
