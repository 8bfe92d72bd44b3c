import type { CheckResult } from '../power/check.js';
import { effectivePower } from '../power/resolve.js';
import type { Site, Testbox, TestboxNote, TestboxStatus } from '../schema/types.js';
import { addCondition, hasCondition } from './notes.js';
import type { Change } from './plan-types.js';

/**
 * True when a box's Succeeded request (`status`) still has to prove the box came back: a
 * check is configured (checkCommand or check.tcp), the box is not manual, neither Verified
 * nor Unverified is recorded yet, and the agent finished less than twice `comebackMinutes`
 * before `now` (see {@link judgedUntil}). Rescue leaves the box in maintenance, so it is
 * never checked.
 */
export function awaitsComeback(site: Site, box: Testbox, status: TestboxStatus, note: TestboxNote | undefined, now: string): boolean {
  const power = effectivePower(site, box);
  if (!power || (!power.check && !power.checkCommand) || box.action === 'none' || box.action === 'rescue') return false;
  if (Date.parse(now) >= judgedUntil(status, power.comebackMinutes)) return false;
  return !hasCondition(box, note, 'Verified', 'Unverified');
}

/**
 * Until when (ms) a Succeeded request is checked and judged: its deadline (the agent's finish
 * plus `comebackMinutes`) and as long again. Inside that window a pass after the deadline,
 * even one late after some downtime, still records Unverified; a request that finished
 * before it (checks configured only now, or the reconciler was down for long) was never
 * watched, so tbx neither checks it nor judges it.
 */
export function judgedUntil(status: TestboxStatus, comebackMinutes: number): number {
  return Date.parse(status.finishedAt ?? status.startedAt) + 2 * comebackMinutes * 60_000;
}

/** What the plan does about a Succeeded request's comeback check. */
export interface ComebackStep {
  change?: Change;
  /** For the plan's reason column. */
  reason: string;
}

/**
 * Pure: given this pass's check result and the time, record `Verified` once the check
 * passes, `Unverified` once the deadline after the agent's finish has passed, or keep
 * waiting. `now` comes in as data (observed), so the decision stays testable. A check that
 * was skipped (a dry run) concludes nothing: the plan only says what a pass would check.
 */
export function comebackStep(site: Site, box: Testbox, status: TestboxStatus, note: TestboxNote | undefined, check: CheckResult | undefined, now: string): ComebackStep | undefined {
  if (!awaitsComeback(site, box, status, note, now)) return undefined;
  const power = effectivePower(site, box)!;
  const finished = Date.parse(status.finishedAt ?? status.startedAt);
  const deadline = new Date(finished + power.comebackMinutes * 60_000);
  const until = deadline.toISOString().replace(/\.\d+Z$/, 'Z');
  if (check?.skipped) return { reason: `${check.detail} (a plan runs no checks); Verified once it passes, Unverified if it still fails after ${until}` };
  if (check?.ok) {
    return { change: addCondition(box, note, { type: 'Verified', reason: 'CheckPassed', message: `came back after ${box.action}: ${check.detail}`, at: now }), reason: 'came back: Verified' };
  }
  if (Date.parse(now) >= deadline.getTime()) {
    const message = `did not come back within ${power.comebackMinutes} min of finishing ${box.action}${check ? `: ${check.detail}` : ''}`;
    return { change: addCondition(box, note, { type: 'Unverified', reason: 'ComebackTimeout', message, at: now }), reason: `Unverified: ${message}` };
  }
  return { reason: `waiting for the box to come back (until ${until})${check ? `: ${check.detail}` : ''}` };
}
