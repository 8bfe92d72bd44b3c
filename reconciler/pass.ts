import { commitFiles } from '../fleet/commit-files.js';
import { isActionable, readDesired, type Desired } from '../fleet/read-desired.js';
import { openFleet, type FleetCheckout } from '../fleet/source.js';
import { checkTrust, type TrustPolicy } from '../fleet/trust.js';
import type { ImageStore } from '../imaging/store.js';
import type { Diagnostic } from '../lib/errors.js';
import { LockBusyError, ShareError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { assertBackupShare, assertTftpShare } from '../share/layout.js';
import { applyPlan, type ApplyResult, type GitWriter } from './apply.js';
import { computePlan } from './compute-plan.js';
import { acquirePassLock } from './lock.js';
import { removalsOnly } from './removals-only.js';
import { observe } from './observe.js';
import { observeComebacks } from './observe-comebacks.js';
import { allChanges, type Plan } from './plan-types.js';

/** The identity the reconciler commits as. */
export const RECONCILER_AUTHOR = { name: 'tbx reconciler', email: 'tbx-reconciler@localhost' };

/** Inputs of one pass, the same for cron, --watch, plan and the demo. */
export interface PassOptions {
  fleet: string;
  tftpRoot: string;
  backupRoot: string;
  stateDir: string;
  branch?: string;
  stores: ImageStore[];
  log: Logger;
  /** Plan only: read the fleet in place if it is a checkout, take no lock, change nothing, run no configured command. */
  dryRun?: boolean;
  /** How long to wait for another pass's lock before giving up cleanly (default 30 s). */
  lockWaitMs?: number;
  /** The clock (tests inject one); default: the system clock. */
  now?: () => Date;
  /** Who may ask: protected branch and signed-commit rules (the agent-scope rule always applies). */
  trust?: TrustPolicy;
  /** Reboot commands run side by side, at most (default: apply's REBOOT_CONCURRENCY). */
  rebootConcurrency?: number;
}

/** How a pass ended. `invalid` and `busy` changed nothing. */
export interface PassResult {
  outcome: 'applied' | 'planned' | 'invalid' | 'busy';
  revision: string | null;
  plan?: Plan;
  apply?: ApplyResult;
  /** The desired state the plan was computed from (for observers after the pass: metrics, notifications). */
  desired?: Desired;
  diagnostics: Diagnostic[];
  /** The pass could only apply removals, and why (the backup share is unusable): it failed. */
  degraded?: string;
  durationMs: number;
}

/**
 * One reconcile pass: lock, fetch and validate the whole revision, observe the shares,
 * compute the plan and apply it. If any file is invalid the pass stops before observing
 * and changes nothing: a typo must never wipe the configs of boxes mid-action.
 * Always ends with one summary log line.
 */
export async function runPass(options: PassOptions): Promise<PassResult> {
  const started = Date.now();
  const log = options.log;
  let release: (() => Promise<void>) | undefined;
  const finish = (r: Omit<PassResult, 'durationMs'>): PassResult => {
    const result = { ...r, durationMs: Date.now() - started };
    summarize(log, result);
    return result;
  };
  try {
    if (!options.dryRun) {
      await assertTftpShare(options.tftpRoot);
      try {
        const waitMs = options.lockWaitMs ?? 30_000;
        release = await acquirePassLock(options.tftpRoot, waitMs, undefined, (holder) =>
          log.info({ holder }, `another pass holds the lock${holder ? ` (pid ${holder.pid} on ${holder.host})` : ''}; waiting up to ${Math.round(waitMs / 1000)} s`),
        );
      } catch (err) {
        if (err instanceof LockBusyError) return finish({ outcome: 'busy', revision: null, diagnostics: [] });
        throw err;
      }
    }
    const { checkout, desired } = await loadDesired(options);
    if (!isActionable(desired)) return finish({ outcome: 'invalid', revision: desired.revision, diagnostics: desired.diagnostics });
    await assertTftpShare(options.tftpRoot);
    // Without its backup share a pass can still end requests (git and TFTP suffice), so a
    // failing box stops at maxAttempts; it starts nothing and the pass still fails.
    const shareDown = await assertBackupShare(options.backupRoot).then(() => undefined, (err: unknown) => (err instanceof ShareError ? err : Promise.reject(err)));
    const full = await planFor(desired, { ...options, shareUsable: !shareDown });
    const plan = shareDown ? removalsOnly(full, shareDown.message) : full;
    if (shareDown) plan.diagnostics.push({ file: options.backupRoot, line: 1, col: 1, message: `${shareDown.message}; only removals were planned`, rule: 'share', severity: 'error' });
    const degraded = shareDown ? { degraded: shareDown.message } : {};
    if (options.dryRun) return finish({ outcome: 'planned', revision: desired.revision, plan, desired, diagnostics: plan.diagnostics, ...degraded });
    const commit: GitWriter = checkout.inPlace
      ? null
      : (changes, message) => commitFiles({ dir: checkout.dir, url: options.fleet, ...(options.branch ? { branch: options.branch } : {}) }, changes, message, RECONCILER_AUTHOR);
    const apply = await applyPlan(plan, { tftpRoot: options.tftpRoot, backupRoot: options.backupRoot, commit, log, ...(options.rebootConcurrency ? { rebootConcurrency: options.rebootConcurrency } : {}) });
    return finish({ outcome: 'applied', revision: desired.revision, plan, apply, desired, diagnostics: plan.diagnostics, ...degraded });
  } finally {
    await release?.().catch(() => undefined);
  }
}

/** Open the fleet (in place for a dry run, else tbx's own clone) and read the desired state. */
export async function loadDesired(options: Pick<PassOptions, 'fleet' | 'stateDir' | 'branch' | 'dryRun' | 'trust'>): Promise<{ checkout: FleetCheckout; desired: Desired }> {
  const checkout = await openFleet(options.fleet, {
    stateDir: options.stateDir,
    mode: options.dryRun ? 'read' : 'sync',
    ...(options.branch ? { branch: options.branch } : {}),
    ...(options.trust?.protectedBranch ? { alsoFetch: [options.trust.protectedBranch] } : {}),
  });
  const desired = await readDesired(checkout.dir, checkout.revision);
  // History rules need git; a plain directory (e.g. validate in CI without .git) has none.
  // A dry run (the PR check) shows them as warnings: the PR is not merged or signed yet.
  if (checkout.revision) {
    const trust = await checkTrust(checkout.dir, options.dryRun ? { ...options.trust, protectedBranch: undefined } : (options.trust ?? {}));
    desired.diagnostics.push(...trust.map((d) => (options.dryRun ? { ...d, severity: 'warning' as const, message: `once merged: ${d.message}` } : d)));
  }
  return { checkout, desired };
}

/**
 * Observe the shares for the desired boxes (and every config tbx wrote) and compute the plan.
 * With `dryRun` no comeback check runs (see {@link observeComebacks}): a plan never runs a command.
 */
export async function planFor(desired: Desired, options: Pick<PassOptions, 'tftpRoot' | 'backupRoot' | 'stores' | 'now' | 'dryRun' | 'log'> & { shareUsable?: boolean }): Promise<Plan> {
  const observed = await observe(desired.boxes.map((b) => b.ip), { tftpRoot: options.tftpRoot, backupRoot: options.backupRoot, stores: options.stores, now: (options.now ?? (() => new Date()))(), ...(options.shareUsable === false ? { shareUsable: false } : {}) });
  observed.comebacks = await observeComebacks(desired, observed, { log: options.log, dryRun: options.dryRun === true });
  return computePlan(desired, observed);
}

function summarize(log: Logger, r: PassResult): void {
  const changes = r.plan ? allChanges(r.plan).length : 0;
  const fields = {
    outcome: r.outcome,
    revision: r.revision?.slice(0, 12) ?? null,
    boxes: r.plan?.boxes.length ?? 0,
    changes,
    applied: r.apply?.applied.length ?? 0,
    skipped: r.apply?.skipped.length ?? 0,
    failed: r.apply?.failed.length ?? 0,
    errors: r.diagnostics.filter((d) => d.severity === 'error').length,
    durationMs: r.durationMs,
  };
  if (r.outcome === 'invalid') log.error(fields, 'pass stopped: the fleet revision is invalid; nothing was changed');
  else if (r.outcome === 'busy') log.info(fields, 'another pass holds the lock; this one exits without changes');
  else if (r.degraded) log.error({ ...fields, degraded: r.degraded }, 'pass incomplete: the backup share is unusable; only removals were applied');
  else if (fields.failed) log.error(fields, 'pass complete with failures');
  else log.info(fields, 'pass complete');
}
