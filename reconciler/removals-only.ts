import type { Change, Plan } from './plan-types.js';

/** Changes that depend only on git and the TFTP tree, never on what the backup share holds. */
const SAFE_WITHOUT_SHARE = new Set<Change['op']>(['delete-pxe', 'write-note', 'remove-leftover', 'write-default']);

/**
 * Pure: the part of `plan` a pass may apply while the backup share is unusable (`why`).
 * Ending a request (its config removed, a Stalled or Timeout note committed) needs only git's
 * statuses and the TFTP tree, so a box whose attempts keep failing is still stopped at
 * `maxAttempts` instead of looping until someone fixes the mount. Starting or refreshing a
 * request needs the share (are there images? a disk list?), so it is held, with the reason.
 */
export function removalsOnly(plan: Plan, why: string): Plan {
  const boxes = plan.boxes.map((b) => {
    const kept = b.changes.filter((c) => SAFE_WITHOUT_SHARE.has(c.op));
    if (kept.length === b.changes.length) return b;
    return { ...b, changes: kept, outcome: 'held' as const, reason: `${why}; only removals are applied until it is back (would: ${b.outcome}, ${b.reason})` };
  });
  return { ...plan, boxes, siteChanges: plan.siteChanges.filter((c) => SAFE_WITHOUT_SHARE.has(c.op)), awaitingComeback: [] };
}
