import type { Desired } from '../fleet/read-desired.js';
import { runCheck, type CheckResult } from '../power/check.js';
import { expandArgv } from '../power/placeholders.js';
import { effectivePower } from '../power/resolve.js';
import { awaitsComeback } from './comeback.js';
import type { Observed } from './observe.js';
import { requestState } from './request-state.js';

/**
 * Run this pass's comeback checks: one try for every box whose current request Succeeded
 * and still awaits proof that the box is back (see {@link awaitsComeback}), all at once,
 * each bounded by `timeoutMs`. I/O, so it lives beside observe, not in the plan.
 */
export async function observeComebacks(desired: Desired, observed: Observed, timeoutMs = 5000): Promise<Map<string, CheckResult>> {
  const site = desired.site!;
  const waiting = desired.boxes.filter((box) => {
    if (box.suspend) return false;
    const state = requestState(box, desired.statuses.get(box.name), observed.boxes.get(box.ip)?.spooled, site.policy.maxAttempts);
    return state.done && awaitsComeback(site, box, desired.notes.get(box.name));
  });
  const results = await Promise.all(
    waiting.map(async (box) => {
      const power = effectivePower(site, box)!;
      const argv = power.checkCommand ? expandArgv(power.checkCommand, { name: box.name, ip: box.ip, request: box.request!, labels: box.labels ?? {} }) : undefined;
      return [box.name, await runCheck(power, box.ip, argv, timeoutMs)] as const;
    }),
  );
  return new Map(results.filter((r): r is readonly [string, CheckResult] => r[1] !== undefined));
}
