import type { Desired } from '../fleet/read-desired.js';
import { describeCheck, runCheck, type CheckResult } from '../power/check.js';
import { expandArgv } from '../power/placeholders.js';
import { effectivePower } from '../power/resolve.js';
import type { Logger } from '../lib/logger.js';
import { redactSecrets } from '../lib/redact.js';
import { awaitsComeback } from './comeback.js';
import type { Observed } from './observe.js';
import { requestState } from './request-state.js';

/** Options for {@link observeComebacks}. */
export interface ComebackOptions {
  log: Logger;
  /**
   * A plan only (`tbx plan`, often on an unmerged pull request): run nothing, not even a TCP
   * connect; every due check is reported as skipped, with what a pass would run.
   */
  dryRun?: boolean;
}

/**
 * Run this pass's comeback checks: one try for every box whose current request Succeeded
 * and still awaits proof that the box is back (see {@link awaitsComeback}), all at once,
 * each bounded by the box's `power.timeoutSeconds`, each result logged (debug). I/O, so it
 * lives beside observe, not in the plan. A dry run runs none of them: a fleet.yaml from a
 * pull request must never run a command on the plan host.
 */
export async function observeComebacks(desired: Desired, observed: Observed, options: ComebackOptions): Promise<Map<string, CheckResult>> {
  const site = desired.site!;
  const waiting = desired.boxes.filter((box) => {
    if (box.suspend) return false;
    const state = requestState(box, desired.statuses.get(box.name), observed.boxes.get(box.ip)?.spooled, site.policy.maxAttempts);
    return state.done && awaitsComeback(site, box, state.status!, desired.notes.get(box.name), observed.now);
  });
  const results = await Promise.all(
    waiting.map(async (box) => {
      const power = effectivePower(site, box)!;
      const argv = power.checkCommand ? expandArgv(power.checkCommand, { name: box.name, ip: box.ip, request: box.request!, labels: box.labels ?? {} }) : undefined;
      const check = redactSecrets(describeCheck(power, box.ip, argv));
      if (options.dryRun) return [box.name, { ok: false, skipped: true, detail: `would run the comeback check: ${check}` }] as const;
      const result = await runCheck(power, box.ip, argv, power.timeoutSeconds * 1000);
      if (result) options.log.debug({ box: box.name, request: box.request, check, ok: result.ok, detail: result.detail }, 'comeback check');
      return [box.name, result] as const;
    }),
  );
  return new Map(results.filter((r): r is readonly [string, CheckResult] => r[1] !== undefined));
}
