import { link, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { removeFile, syncDir, TEMP_FILE, writeFileAtomic } from '../lib/atomic-write.js';
import { eachLimited } from '../lib/each-limited.js';
import { describeError, TbxError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { runPowerCommand } from '../power/run-command.js';
import { ensureDirUnder } from '../lib/safe-path.js';
import type { CommitResult, FileChange } from '../fleet/commit-files.js';
import { noteCommitMessage, statusCommitMessage } from '../fleet/commit-message.js';
import { formatNote, formatStatus, notePath, statusPath } from '../fleet/status-file.js';
import { parseOwner } from '../pxe/marker.js';
import { removeDiskList, writeDiskList } from '../share/disk-list.js';
import { fingerprint } from './observe.js';
import { allChanges, type Change, type Plan } from './plan-types.js';

/** Commits files to the fleet repo; null when the fleet is read in place and must not be written. */
export type GitWriter = ((changes: FileChange[], message: string) => Promise<CommitResult>) | null;

/** Reboot commands of one pass that run at the same time, at most. */
export const REBOOT_CONCURRENCY = 4;

/** What apply needs: the shares, a way to commit, and the pass's logger. */
export interface ApplyDeps {
  tftpRoot: string;
  backupRoot: string;
  commit: GitWriter;
  log: Logger;
  /** Reboot commands run side by side, at most this many (default {@link REBOOT_CONCURRENCY}). */
  rebootConcurrency?: number;
}

/** What happened to each change. */
export interface ApplyResult {
  applied: Change[];
  skipped: { change: Change; reason: string }[];
  failed: { change: Change; error: string }[];
}

type Reboot = Extract<Change, { op: 'reboot' }>;

/**
 * Carry out exactly the plan's changes. First every file and git change, in order; then the
 * reboot steps, a few at a time: a reboot command may take minutes (timeout x tries), and no
 * box's config waits for another box's reboot. A change whose file moved on since it was
 * observed is skipped (stale plan) and left for the next pass; a failing change is recorded
 * and the rest still run, so one box never stops the fleet.
 */
export async function applyPlan(plan: Plan, deps: ApplyDeps): Promise<ApplyResult> {
  const result: ApplyResult = { applied: [], skipped: [], failed: [] };
  const changes = allChanges(plan);
  for (const change of changes) if (change.op !== 'reboot') await record(change, result, deps.log, () => applyOne(change, deps));
  // One commit at a time: RebootFailed notes of boxes rebooting side by side would race in the clone.
  let gitQueue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = gitQueue.then(fn, fn);
    gitQueue = run.catch(() => undefined);
    return run;
  };
  const reboots = changes.filter((c): c is Reboot => c.op === 'reboot');
  await eachLimited(reboots, deps.rebootConcurrency ?? REBOOT_CONCURRENCY, (change) => record(change, result, deps.log, (log) => reboot(change, result, deps, log, serial)));
  return result;
}

/** Run one change and file it under applied, skipped (it returned a reason) or failed (it threw). */
async function record(change: Change, result: ApplyResult, passLog: Logger, run: (log: Logger) => Promise<string | undefined>): Promise<void> {
  const log = 'box' in change ? passLog.child({ box: change.box }) : passLog;
  try {
    const skip = await run(log);
    if (skip) {
      result.skipped.push({ change, reason: skip });
      log.warn({ op: change.op, reason: skip }, 'skipped');
    } else {
      result.applied.push(change);
      log.info({ op: change.op, ...('hex' in change ? { file: `pxelinux.cfg/${change.hex}` } : {}) }, 'applied');
      logComeback(change, log);
    }
  } catch (err) {
    result.failed.push({ change, error: describeError(err) });
    log.error({ op: change.op, err: describeError(err) }, 'failed');
  }
}

/** The comeback check's final word on a request, once it is recorded: Verified or Unverified with the reason. */
function logComeback(change: Change, log: Logger): void {
  if (change.op !== 'write-note') return;
  const c = change.note.conditions.at(-1);
  if (c?.type !== 'Verified' && c?.type !== 'Unverified') return;
  log.info({ request: change.note.request, condition: c.type, reason: c.reason, message: c.message }, c.type === 'Verified' ? 'box came back: Verified' : 'box did not come back: Unverified');
}

/** Apply one change; returns a reason when it was skipped. */
async function applyOne(change: Change, deps: ApplyDeps): Promise<string | undefined> {
  const cfgDir = join(deps.tftpRoot, 'pxelinux.cfg');
  switch (change.op) {
    case 'write-default':
      return createExclusive(await ensureDirUnder(deps.tftpRoot, 'pxelinux.cfg'), 'default', change.content);
    case 'remove-leftover':
      // Only names of tbx's own temp files reach here, and the pass lock is held: nobody writes them now.
      if (!TEMP_FILE.test(change.name)) return `${change.name} is not a tbx temp file`;
      await removeFile(join(cfgDir, change.name), { root: deps.tftpRoot }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      return undefined;
    case 'write-pxe': {
      const path = join(await ensureDirUnder(deps.tftpRoot, 'pxelinux.cfg'), change.hex);
      const current = await readFile(path).catch(() => null);
      const now = current === null ? null : fingerprint(current);
      if (now !== change.expect) return `pxelinux.cfg/${change.hex} changed since it was observed (stale plan)`;
      await writeFileAtomic(path, change.content, { root: deps.tftpRoot });
      return undefined;
    }
    case 'delete-pxe': {
      const path = join(cfgDir, change.hex);
      const current = await readFile(path).catch(() => null);
      if (current === null) return `pxelinux.cfg/${change.hex} is already gone`;
      if (fingerprint(current) !== change.expect || !parseOwner(current.toString('utf8'))) return `pxelinux.cfg/${change.hex} changed since it was observed (stale plan)`;
      await removeFile(path, { root: deps.tftpRoot });
      return undefined;
    }
    case 'write-disk-list':
      await writeDiskList(deps.backupRoot, change.ip, change.content);
      return undefined;
    case 'delete-disk-list':
      await removeDiskList(deps.backupRoot, change.ip);
      return undefined;
    case 'forward-status':
      if (!deps.commit) return 'fleet is read in place; not committing';
      await deps.commit([{ path: statusPath(change.box), content: formatStatus(change.status) }], statusCommitMessage(change.status, { forwarded: true }));
      return undefined;
    case 'write-note':
      if (!deps.commit) return 'fleet is read in place; not committing';
      await deps.commit([{ path: notePath(change.box), content: formatNote(change.note) }], noteCommitMessage(change.note, change.action));
      return undefined;
  }
}

/**
 * Run a box's reboot command, but only after this pass wrote its config: never for a config
 * that was skipped or failed. A command that still fails after its retries is recorded as a
 * `RebootFailed` condition; the config stays, so a natural reboot still works.
 */
async function reboot(change: Reboot, result: ApplyResult, deps: ApplyDeps, log: Logger, serial: <T>(fn: () => Promise<T>) => Promise<T>): Promise<string | undefined> {
  const written = result.applied.some((c) => c.op === 'write-pxe' && c.box === change.box);
  if (!written) return 'the config was not written in this pass; not rebooting';
  const outcome = await runPowerCommand(change.argv, { timeoutMs: change.timeoutMs, retries: change.retries, log });
  if (outcome.ok) return undefined;
  // Stopping is no verdict on the command: nothing is recorded, the config stays for the next boot.
  if (outcome.interrupted) return `reboot command ${outcome.reason}; the config stays in place for the next natural reboot`;
  const message = `reboot command ${change.argv[0]} failed after ${outcome.tries} tries: ${outcome.reason}${outcome.tail ? `; output: ${outcome.tail.split('\n').slice(-3).join(' / ')}` : ''}. The config stays in place for the next natural reboot.`;
  if (deps.commit) {
    const commit = deps.commit;
    const note = { apiVersion: 'tbx/v1' as const, kind: 'TestboxNote' as const, name: change.box, request: change.request, conditions: [...change.priorConditions, { type: 'RebootFailed', reason: 'CommandFailed', message: message.slice(0, 4000), at: stamp(new Date()) }] };
    await serial(() => commit([{ path: notePath(change.box), content: formatNote(note) }], noteCommitMessage(note, change.action))).catch((err) => log.error({ err: describeError(err) }, 'could not record RebootFailed in git'));
  }
  throw new TbxError(message);
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Create `dir/name` only if it does not exist yet, atomically (link fails on an existing file). */
async function createExclusive(dir: string, name: string, content: string): Promise<string | undefined> {
  const tmp = join(dir, `.${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFileAtomic(tmp, content);
  try {
    await link(tmp, join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return `pxelinux.cfg/${name} appeared meanwhile; left as it is`;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await syncDir(dir);
  return undefined;
}
