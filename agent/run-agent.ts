import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { removeFile } from '../lib/atomic-write.js';
import { describeError } from '../lib/errors.js';
import { hexIp } from '../lib/hex-ip.js';
import { redact } from '../lib/redact.js';
import type { Logger } from '../lib/logger.js';
import { ensureDirUnder } from '../lib/safe-path.js';
import type { ImageStore } from '../imaging/store.js';
import { parseAppend, parseTestboxArgs } from '../pxe/marker.js';
import { BOX_FILES, boxDir } from '../share/layout.js';
import { readSpooledStatus } from '../share/spool.js';
import { ACTIONS, type Action, type DiskReport, type Phase, type TestboxStatus } from '../schema/types.js';
import { backupDisks, restoreDisks } from './actions.js';
import { kernelIpOf, parseBootArgs, readCmdline, type BootArgs } from './cmdline.js';
import { listDisks, type DiskPaths } from './disks.js';
import { AgentFailure, EXIT } from './exit-codes.js';
import { createProgressReporter, type ProgressReporter } from './progress.js';
import { identifyIp, lookupHostname } from './identity.js';
import { writeFinderFiles, writeInfoFile, writeInfoZip, type InfoPaths } from './info.js';
import { lastCommittedStatus, reportStatus, type ReportTarget } from './report.js';
import { SeedLog, type ConsoleSink } from './seed-log.js';
import { ensureBackupShare, ensureTftpShare } from './shares.js';

/** Everything the agent needs; the CLI fills it from flags, tests from temp directories. */
export interface AgentOptions extends DiskPaths, InfoPaths {
  tftpRoot: string;
  backupRoot: string;
  /** Fleet repo to commit the status to; without it the status is only spooled on the share. */
  fleet?: string;
  branch?: string;
  stateDir?: string;
  ip?: string;
  /** Skip the reverse DNS lookup (tests, or sites without reverse DNS). */
  hostname?: string;
  cmdlineFile: string;
  reboot: boolean;
  rebootCommand: string[];
  /** Pause before rebooting after a failure (the seed waits 5 minutes). */
  failDelayMs: number;
  /** Pause between share mount attempts (the seed waits 15 s). */
  shareWaitMs: number;
  tryMount: boolean;
  stores: ImageStore[];
  writeStore: ImageStore;
  pushDeadlineMs?: number;
  now: () => Date;
  log: Logger;
  console: ConsoleSink;
}

/** What the agent learned about itself, filled in step by step so failures can report it. */
interface Session {
  ip?: string;
  host?: string;
  boxDir?: string;
  boot?: BootArgs;
  /** The kernel command line, read first so that even an early failure can be reported. */
  tokens?: string[];
  attempt?: number;
  startedAt?: string;
}

/**
 * Run the maintenance action of this boot: the seed's testbox-maintenance.sh steps with the
 * same exit codes and logs, plus tbx's request check, attempt counting and status reports.
 * Returns the exit code. With `reboot` it reboots when done (after `failDelayMs` on failure).
 */
export async function runAgent(o: AgentOptions): Promise<number> {
  const seedLog = new SeedLog(o.now, o.console);
  const s: Session = {};
  let progress: ProgressReporter | undefined;
  try {
    const tokens = await readCmdline(o.cmdlineFile);
    s.tokens = tokens;
    s.ip = identifyIp(o.ip, kernelIpOf(tokens));
    s.host = o.hostname ?? (await lookupHostname(s.ip));
    await ensureBackupShare(o.backupRoot, { waitMs: o.shareWaitMs, tryMount: o.tryMount, log: seedLog });
    s.boxDir = await ensureDirUnder(o.backupRoot, s.ip);
    seedLog.attach(o.backupRoot, s.boxDir, s.ip, s.host);
    seedLog.info(`MY_IP=${s.ip}<eol>`);
    const hex = hexIp(s.ip);
    seedLog.info(`MY_IP_HEX=${hex}<eol>`);
    await ensureTftpShare(o.tftpRoot, { waitMs: o.shareWaitMs, tryMount: o.tryMount, log: seedLog });
    const pxePath = join(o.tftpRoot, 'pxelinux.cfg', hex);
    const pxe = await readFile(pxePath, 'utf8').catch(() => null);
    if (pxe === null) throw new AgentFailure(EXIT.noPxeConfig, `No pxelinux.cfg file found (${pxePath}) - wrong IP?`);
    seedLog.info(`/proc/cmdline: ${redact(tokens.join(' '))}`);
    s.boot = parseBootArgs(tokens);
    refuseStaleBoot(s.boot, pxe, hex);
    const action = s.boot.action;
    seedLog.global(`Executing '${action}'.`);
    const prev = (await readSpooledStatus(o.backupRoot, s.ip)).status;
    const sameRequest = prev !== undefined && s.boot.request !== undefined && prev.request === s.boot.request && prev.action === action;
    if (sameRequest && prev.phase === 'Succeeded') return await finishReplay(o, s, seedLog, prev, pxePath);
    s.attempt = sameRequest ? prev.attempt + 1 : 1;
    s.startedAt = stamp(o.now());
    if (s.boot.request) seedLog.info(`request ${s.boot.request}, attempt ${s.attempt}`);
    await report(o, s, seedLog, 'Running', `${action} started`);

    const infoMissing = await access(join(s.boxDir, BOX_FILES.info)).then(() => false, () => true);
    if (infoMissing || action === 'backup' || action === 'backup-again' || action === 'refresh-info') {
      await writeInfoFile(s.boxDir, s.ip, hex, s.host, o);
      await writeInfoZip(s.boxDir, o);
    }
    await writeFinderFiles(s.boxDir, s.ip, hex, s.host);
    const disks = await listDisks(s.boxDir, o, seedLog);
    const img = s.boot.imaging;
    const writeStore = (img.format && o.stores.find((st) => st.format === img.format)) || o.writeStore;
    const imageDir = img.source && img.source.ip !== s.ip ? await sourceDir(o.backupRoot, img.source.ip) : s.boxDir;
    if (action === 'restore' && img.source) seedLog.info(`restoring from ${img.source.ip === s.ip ? 'this box' : img.source.ip}${img.source.generation ? `, generation ${img.source.generation}` : ''}`);
    progress = createProgressReporter({ backupRoot: o.backupRoot, ip: s.ip, name: s.boot.name ?? null, request: s.boot.request ?? null, action, attempt: s.attempt }, o.log, { tty: process.stderr });
    const deps = {
      boxDir: s.boxDir,
      imageDir,
      ...(img.source?.generation ? { generation: img.source.generation } : {}),
      ...(img.force ? { force: true } : {}),
      ...(img.keep !== undefined ? { keep: img.keep } : {}),
      ...(img.skipFree !== undefined ? { skipFree: img.skipFree } : {}),
      box: { ip: s.ip, ...(s.boot.name ? { name: s.boot.name } : {}), ...(s.boot.request ? { request: s.boot.request } : {}) },
      disks,
      paths: o,
      stores: o.stores,
      writeStore,
      seedLog,
      log: o.log,
      progress,
    };
    let reports: DiskReport[] = [];
    switch (action) {
      case 'backup':
      case 'backup-again':
        reports = await backupDisks(action, deps);
        break;
      case 'restore':
        reports = await restoreDisks(deps);
        break;
      case 'refresh-info':
        break;
      case 'rescue':
        await report(o, s, seedLog, 'Rescue', 'rescue system is up; set action: none in the fleet repo, then reboot the box');
        seedLog.info('rescue: exiting. Admin must set action: none (which removes the PXE config) and reboot manually when done.');
        return EXIT.ok;
      default:
        throw new AgentFailure(EXIT.internal, `Huh? MY_ACTION='${String(action)}'`);
    }
    seedLog.info(`'${action}' - done`);
    await progress.finish('done');
    const stored = await report(o, s, seedLog, 'Succeeded', `${action} of ${reports.length ? reports.map((r) => r.device).join(', ') : 'box info'} done`, reports);
    // Without a durable status the next pass would write the config again: keep it and fail.
    if (stored === false) throw new AgentFailure(EXIT.internal, 'the result could not be stored on the share or in git; keeping the PXE config');
    await execa('sync', { reject: false });
    await removeOwnConfig(pxePath, s.boot, seedLog);
    await execa('sync', { reject: false });
    await rebootNow(o, seedLog);
    return EXIT.ok;
  } catch (err) {
    const code = err instanceof AgentFailure ? err.code : EXIT.internal;
    seedLog.error(describeError(err));
    await progress?.finish('failed');
    o.log.error({ code, err: describeError(err) }, 'maintenance action failed');
    if (code !== EXIT.staleBoot) await report(o, s, seedLog, 'Failed', describeError(err), undefined, code).catch(() => false);
    if (o.reboot) {
      // A stale boot reboots at once to pick up the current config; real failures wait so
      // a broken box does not hammer the shares (the seed's 5 minutes).
      if (code !== EXIT.staleBoot) await new Promise((r) => setTimeout(r, o.failDelayMs));
      await rebootNow(o, seedLog);
    }
    return code;
  }
}

/** The share directory of the box a restore takes its image from; it must exist. */
async function sourceDir(backupRoot: string, ip: string): Promise<string> {
  const dir = boxDir(backupRoot, ip);
  if (!(await access(dir).then(() => true, () => false))) throw new AgentFailure(EXIT.restoreFailed, `the source box's directory ${dir} does not exist on the backup share; nothing was restored`);
  return dir;
}

/**
 * A box that booted an old config must not run it: the request and action on the kernel
 * command line must be the ones in the box's current PXE file (code 16).
 */
function refuseStaleBoot(boot: BootArgs, pxe: string, hex: string): void {
  const file = parseAppend(pxe);
  if (boot.request === file.request && boot.action === file.action) return;
  throw new AgentFailure(
    EXIT.staleBoot,
    `stale boot: the kernel was started for ${boot.action} request ${boot.request ?? '(none)'}, but pxelinux.cfg/${hex} now asks for ${file.action ?? '?'} request ${file.request ?? '(none)'}; not acting, rebooting to pick up the current config`,
  );
}

/** Remove the box's PXE file (seed step 13), unless it now belongs to a newer request. */
async function removeOwnConfig(path: string, boot: BootArgs, seedLog: SeedLog): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => null);
  if (current === null) return seedLog.info(`${path} is already gone`);
  const file = parseAppend(current);
  if (file.request !== boot.request || file.action !== boot.action) {
    return seedLog.info(`${path} now holds ${file.action} request ${file.request}; leaving it for that request`);
  }
  try {
    await removeFile(path);
    seedLog.info(`removed ${path}`);
  } catch (err) {
    throw new AgentFailure(EXIT.pxeRemoveFailed, `failed to remove ${path}: ${describeError(err)}`, err);
  }
}

/**
 * Report a status for this session when it is a tbx request (the kernel got a name and a
 * request id). Returns whether it is durable, or 'seed-style' for a config without them,
 * which only the logs record, as with the seed.
 */
async function report(o: AgentOptions, s: Session, seedLog: SeedLog, phase: Phase, message: string, disks?: DiskReport[], exitCode?: number): Promise<boolean | 'seed-style'> {
  const boot = s.boot ?? bootFromTokens(s.tokens);
  const name = boot?.name;
  const request = boot?.request;
  if (!s.ip || !boot) return false;
  if (!name || !request || !/^[a-z0-9][-a-z0-9]*$/.test(name)) return 'seed-style';
  const target = reportTarget(o, s);
  if (!s.boxDir) {
    // The backup share is unusable (code 11), so there is no spool to count attempts with:
    // git is the only place left for the result, and without it the reconciler could never
    // see the failures, stop at maxAttempts and let the box boot its disk.
    if (!o.fleet || phase === 'Running') return false;
    const prev = await lastCommittedStatus(target, name, o.log);
    s.attempt ??= prev && prev.request === request && prev.action === boot.action ? prev.attempt + 1 : 1;
  }
  const status: TestboxStatus = {
    apiVersion: 'tbx/v1',
    kind: 'TestboxStatus',
    name,
    ip: s.ip,
    request,
    action: boot.action as Action,
    attempt: s.attempt ?? 1,
    phase,
    startedAt: s.startedAt ?? stamp(o.now()),
    ...(phase === 'Running' ? {} : { finishedAt: stamp(o.now()) }),
    message: message.slice(0, 4000),
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(s.host ? { host: s.host } : {}),
    ...(disks?.length ? { disks } : {}),
  };
  return (await reportStatus(status, target, seedLog, o.log)).durable;
}

/** Where this session's statuses go: the share's spool once the box's directory is known, and git when configured. */
function reportTarget(o: AgentOptions, s: Session): ReportTarget {
  return { ...(s.boxDir ? { backupRoot: o.backupRoot } : {}), ...(o.fleet ? { fleet: o.fleet } : {}), ...(o.branch ? { branch: o.branch } : {}), ...(o.stateDir ? { stateDir: o.stateDir } : {}), ...(o.pushDeadlineMs ? { pushDeadlineMs: o.pushDeadlineMs } : {}) };
}

/**
 * The box booted a request it already finished: it was reset or lost power after its
 * Succeeded status was stored but before its config was removed. Repeating the action would
 * be wrong (a backup would find its own image and fail with 18; a backup-again would push
 * the fresh image aside), so finish what was left: make sure the status reached git, remove
 * the config, reboot.
 */
async function finishReplay(o: AgentOptions, s: Session, seedLog: SeedLog, done: TestboxStatus, pxePath: string): Promise<number> {
  seedLog.info(`request ${done.request} already Succeeded (attempt ${done.attempt}, finished ${done.finishedAt ?? '?'}); not repeating ${done.action}`);
  const stored = await reportStatus(done, reportTarget(o, s), seedLog, o.log);
  if (!stored.durable) throw new AgentFailure(EXIT.internal, 'the earlier result could not be stored again on the share or in git; keeping the PXE config');
  await removeOwnConfig(pxePath, s.boot!, seedLog);
  await execa('sync', { reject: false });
  await rebootNow(o, seedLog);
  return EXIT.ok;
}

/** The action, request and name from the raw tokens, when the full parse has not run yet; undefined without a valid action. */
function bootFromTokens(tokens: string[] | undefined): Pick<BootArgs, 'action' | 'request' | 'name'> | undefined {
  const args = parseTestboxArgs(tokens ?? []);
  if (!args.action || args.action === 'none' || !(ACTIONS as readonly string[]).includes(args.action)) return undefined;
  return { action: args.action as BootArgs['action'], ...(args.request ? { request: args.request } : {}), ...(args.name ? { name: args.name } : {}) };
}

async function rebootNow(o: AgentOptions, seedLog: SeedLog): Promise<void> {
  if (!o.reboot) return seedLog.info('not rebooting (--no-reboot)');
  seedLog.info('rebooting');
  const [cmd, ...args] = o.rebootCommand;
  await execa(cmd!, args, { reject: false, stdio: 'inherit' });
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
