import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitFiles } from '../fleet/commit-files.js';
import { statusCommitMessage } from '../fleet/commit-message.js';
import { parseFleetFile } from '../fleet/parse-file.js';
import { cloneDirFor, openFleet } from '../fleet/source.js';
import { formatStatus, statusPath } from '../fleet/status-file.js';
import { removeFile } from '../lib/atomic-write.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { markPushing, writeSpooledStatus } from '../share/spool.js';
import type { TestboxStatus } from '../schema/types.js';
import type { SeedLog } from './seed-log.js';

/** Where a status goes: the share's spool (unless the share is unusable) and the fleet repo when one is given. */
export interface ReportTarget {
  /** Backup share root; absent when the share is unusable and git is the only place left. */
  backupRoot?: string;
  fleet?: string;
  branch?: string;
  stateDir?: string;
  /** How long to keep retrying a push that loses races (default 5 min). */
  pushDeadlineMs?: number;
}

/** Where the status ended up. `durable` is true once at least one copy is safely stored. */
export interface Reported {
  spooled: boolean;
  committed: boolean;
  durable: boolean;
}

/**
 * Report a status: first atomically to `<backup>/<ip>/status.yaml`, then as a commit to
 * `status/<name>.yaml` in the fleet repo. If git is unreachable the spooled copy waits for
 * the reconciler to forward it, so no result is lost.
 */
export async function reportStatus(status: TestboxStatus, target: ReportTarget, seedLog: SeedLog, log: Logger): Promise<Reported> {
  const r: Reported = { spooled: false, committed: false, durable: false };
  // A Running status is only spooled; a result also goes to git.
  const fleet = status.phase !== 'Running' ? target.fleet : undefined;
  const deadlineMs = target.pushDeadlineMs ?? 300_000;
  // Tell the reconciler not to forward the spooled status while we are still pushing it. The
  // marker goes first: a pass (a --watch pass wakes on the spool write) that saw the spooled
  // status without it would forward it and race the push.
  const marker = fleet !== undefined && target.backupRoot !== undefined ? await markPushing(target.backupRoot, status.ip, new Date(Date.now() + deadlineMs + 60_000)).catch(() => undefined) : undefined;
  try {
    if (target.backupRoot !== undefined) {
      try {
        await writeSpooledStatus(target.backupRoot, status);
        r.spooled = true;
      } catch (err) {
        seedLog.error(`could not write the status to the share: ${describeError(err)}`);
      }
    }
    if (fleet !== undefined) {
      const stateDir = target.stateDir ?? join(tmpdir(), 'tbx-agent');
      try {
        const res = await commitFiles(
          { dir: cloneDirFor(stateDir, fleet, true), url: fleet, shallow: true, deadlineMs, ...(target.branch ? { branch: target.branch } : {}) },
          [{ path: statusPath(status.name), content: formatStatus(status) }],
          statusCommitMessage(status),
          { name: `tbx agent (${status.name})`, email: `tbx-agent+${status.name}@localhost` },
        );
        r.committed = true;
        seedLog.info(`status ${status.phase} committed to the fleet repo${res.commit ? ` as ${res.commit.slice(0, 12)}` : ''} after ${res.attempts} push attempt(s)`);
      } catch (err) {
        log.warn({ err: describeError(err) }, 'status not committed');
        seedLog.info(`git unreachable (${describeError(err)}); the status stays spooled on the share and the reconciler will forward it`);
      }
    }
  } finally {
    if (marker) await removeFile(marker).catch(() => undefined);
  }
  r.durable = r.spooled || r.committed;
  return r;
}

/**
 * The box's status as last committed to the fleet repo, or undefined (no fleet, no file,
 * git unreachable). Used to count attempts when the share's spool cannot be read.
 */
export async function lastCommittedStatus(target: ReportTarget, name: string, log: Logger): Promise<TestboxStatus | undefined> {
  if (!target.fleet) return undefined;
  try {
    const checkout = await openFleet(target.fleet, { stateDir: target.stateDir ?? join(tmpdir(), 'tbx-agent'), mode: 'sync', shallow: true, ...(target.branch ? { branch: target.branch } : {}) });
    const file = join(checkout.dir, statusPath(name));
    const bytes = await readFile(file).catch(() => undefined);
    return bytes ? parseFleetFile<TestboxStatus>(statusPath(name), bytes, 'TestboxStatus').value : undefined;
  } catch (err) {
    log.warn({ err: describeError(err) }, 'cannot read the last status from git');
    return undefined;
  }
}
