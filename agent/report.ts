import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitFiles } from '../fleet/commit-files.js';
import { statusCommitMessage } from '../fleet/commit-message.js';
import { cloneDirFor } from '../fleet/source.js';
import { formatStatus, statusPath } from '../fleet/status-file.js';
import { removeFile, writeFileAtomic } from '../lib/atomic-write.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { BOX_FILES } from '../share/layout.js';
import { writeSpooledStatus } from '../share/spool.js';
import type { TestboxStatus } from '../schema/types.js';
import type { SeedLog } from './seed-log.js';

/** Where a status goes: always the share's spool, and the fleet repo when one is given. */
export interface ReportTarget {
  backupRoot: string;
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
  try {
    await writeSpooledStatus(target.backupRoot, status);
    r.spooled = true;
  } catch (err) {
    seedLog.error(`could not write the status to the share: ${describeError(err)}`);
  }
  if (target.fleet && status.phase !== 'Running') {
    const stateDir = target.stateDir ?? join(tmpdir(), 'tbx-agent');
    const deadlineMs = target.pushDeadlineMs ?? 300_000;
    // Tell the reconciler not to forward this spooled status while we are still pushing it.
    const marker = join(target.backupRoot, status.ip, BOX_FILES.pushing);
    await writeFileAtomic(marker, JSON.stringify({ pid: process.pid, until: new Date(Date.now() + deadlineMs + 60_000).toISOString() }), { root: target.backupRoot }).catch(() => undefined);
    try {
      const res = await commitFiles(
        { dir: cloneDirFor(stateDir, target.fleet, true), url: target.fleet, shallow: true, deadlineMs, ...(target.branch ? { branch: target.branch } : {}) },
        [{ path: statusPath(status.name), content: formatStatus(status) }],
        statusCommitMessage(status),
        { name: `tbx agent (${status.name})`, email: `tbx-agent+${status.name}@localhost` },
      );
      r.committed = true;
      seedLog.info(`status ${status.phase} committed to the fleet repo${res.commit ? ` as ${res.commit.slice(0, 12)}` : ''} after ${res.attempts} push attempt(s)`);
    } catch (err) {
      log.warn({ err: describeError(err) }, 'status not committed');
      seedLog.info(`git unreachable (${describeError(err)}); the status stays spooled on the share and the reconciler will forward it`);
    } finally {
      await removeFile(marker).catch(() => undefined);
    }
  }
  r.durable = r.spooled || r.committed;
  return r;
}
