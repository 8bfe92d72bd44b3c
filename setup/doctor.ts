import { access, constants, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { isActionable, readDesired } from '../fleet/read-desired.js';
import { openFleet } from '../fleet/source.js';
import { describeError, firstLine } from '../lib/errors.js';
import { redact } from '../lib/redact.js';
import { isOwnDefault } from '../pxe/marker.js';
import type { Site } from '../schema/types.js';
import { BACKUP_MARKER } from '../share/layout.js';
import { bootsLocalDisk } from './init-site.js';
import { mountOf } from './mounts.js';

/** One line of the checklist. */
export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** How to fix it, for warn and fail. */
  fix?: string;
}

/** What doctor looks at; `mountinfo` is injectable like every system path. */
export interface DoctorOptions {
  tftp: string;
  backup: string;
  fleet?: string;
  branch?: string;
  stateDir: string;
  minFreePercent: number;
  mountinfo?: string;
  now?: () => Date;
}

/** Run every check of a live site, in a fixed order; never throws. */
export async function runDoctor(o: DoctorOptions): Promise<Check[]> {
  const out: Check[] = [];
  const init = `tbx init site --tftp ${o.tftp} --backup ${o.backup}`;
  for (const [label, root] of [['TFTP share', o.tftp], ['backup share', o.backup]] as const) {
    const st = await stat(root).catch(() => undefined);
    if (!st?.isDirectory()) {
      out.push({ name: `${label} ${root}`, status: 'fail', detail: 'does not exist or is not a directory', fix: `mount it (see /etc/fstab), or create it with '${init}'` });
      continue;
    }
    const m = await mountOf(root, o.mountinfo);
    if (!m || m.mountPoint === '/') out.push({ name: `${label} mounted`, status: 'warn', detail: `${root} is on the root file system, not a mounted share`, fix: `mount the export on ${root} (fstab: <server>:/export/... ${root} nfs tcp,nfsvers=3 0 0), unless this host is the storage server itself` });
    else out.push({ name: `${label} mounted`, status: 'ok', detail: `${root} is on ${m.mountPoint} (${m.fsType} from ${m.source})` });
    out.push(await writable(label, root));
    out.push(...(await freeSpace(label, root, o.minFreePercent)));
  }
  const has = (p: string) => access(p).then(() => true, () => false);
  out.push(await has(join(o.backup, BACKUP_MARKER))
    ? { name: 'backup share marker', status: 'ok', detail: `${BACKUP_MARKER} present` }
    : { name: 'backup share marker', status: 'fail', detail: `${join(o.backup, BACKUP_MARKER)} is missing: agents will think the share is not mounted (exit 11)`, fix: `mount the share; if it is mounted, run '${init}'` });
  for (const file of ['pxelinux.0', 'ldlinux.c32']) {
    const found = (await has(join(o.tftp, file))) || (file === 'ldlinux.c32' && (await has(join(o.tftp, 'bios', file))));
    out.push(found ? { name: file, status: 'ok', detail: 'present' } : { name: file, status: 'fail', detail: `missing in ${o.tftp}: boxes cannot PXE-boot`, fix: `apt-get install pxelinux syslinux-common, then '${init}'` });
  }
  const def = await readFile(join(o.tftp, 'pxelinux.cfg', 'default'), 'utf8').catch(() => null);
  if (def === null) out.push({ name: 'pxelinux.cfg/default', status: 'fail', detail: 'missing: boxes without their own config get no boot menu', fix: `'${init}' writes it (local boot)` });
  else if (!bootsLocalDisk(def)) out.push({ name: 'pxelinux.cfg/default', status: 'fail', detail: 'does not boot the local disk: every box without its own config would boot something else', fix: 'make its DEFAULT label a LOCALBOOT one (see docs/tbx-init.1.md)' });
  else out.push({ name: 'pxelinux.cfg/default', status: 'ok', detail: `boots the local disk${isOwnDefault(def) ? ' (written by tbx)' : ''}` });
  const site = o.fleet ? await fleetChecks(o, out) : undefined;
  if (!o.fleet) out.push({ name: 'fleet repo', status: 'warn', detail: 'not checked: no --fleet (or TBX_FLEET)', fix: 'pass --fleet to check that it is reachable and pushable' });
  if (site) {
    for (const [what, rel] of [['kernel', site.boot.kernel], ['initrd', site.boot.initrd]] as const) {
      out.push(await has(join(o.tftp, rel))
        ? { name: `maintenance ${what}`, status: 'ok', detail: `${rel} present` }
        : { name: `maintenance ${what}`, status: 'fail', detail: `${join(o.tftp, rel)} is missing (boot.${what} in fleet.yaml): boxes would fail to boot the maintenance image`, fix: `copy the maintenance image's ${what} to ${join(o.tftp, rel)} (see the maintenance image build docs)` });
    }
  }
  out.push(await clockCheck(o));
  return out;
}

async function writable(label: string, root: string): Promise<Check> {
  const probe = join(root, `.tbx-doctor-${process.pid}`);
  try {
    await writeFile(probe, 'probe\n');
    await rm(probe, { force: true });
    return { name: `${label} writable`, status: 'ok', detail: `${root} accepts writes` };
  } catch (err) {
    return { name: `${label} writable`, status: 'fail', detail: `cannot write in ${root}: ${firstLine(err)}`, fix: `export it read-write (the seed: rw, root squashing is fine) and check the permissions of ${root}` };
  }
}

async function freeSpace(label: string, root: string, minFree: number): Promise<Check[]> {
  const s = await statfs(root).catch(() => undefined);
  if (!s) return [];
  const free = s.bavail * s.bsize;
  const pct = (s.bavail / s.blocks) * 100;
  const detail = `${(free / 2 ** 30).toFixed(1)} GiB free (${pct.toFixed(0)}%)`;
  if (pct < minFree) return [{ name: `${label} disk space`, status: 'fail', detail, fix: `free space on ${root} (old images, *.old copies) or grow the volume; backups need room for a whole new image` }];
  if (pct < minFree * 2) return [{ name: `${label} disk space`, status: 'warn', detail, fix: `plan for more space on ${root}` }];
  return [{ name: `${label} disk space`, status: 'ok', detail }];
}

async function fleetChecks(o: DoctorOptions, out: Check[]): Promise<Site | undefined> {
  const url = o.fleet!;
  const shown = redact(url);
  const ls = await execa('git', ['ls-remote', '--heads', url], { reject: false, env: { GIT_TERMINAL_PROMPT: '0' }, timeout: 60_000 });
  if (ls.exitCode !== 0) {
    out.push({ name: 'fleet repo reachable', status: 'fail', detail: `git ls-remote ${shown}: ${redact(firstLine(ls.stderr))}`, fix: 'check the URL, the network and the deploy key (GIT_SSH_COMMAND) of the user tbx runs as' });
    return undefined;
  }
  out.push({ name: 'fleet repo reachable', status: 'ok', detail: `${shown} (${ls.stdout.split('\n').filter(Boolean).length} branch(es))` });
  try {
    const checkout = await openFleet(url, { stateDir: o.stateDir, mode: 'sync', ...(o.branch ? { branch: o.branch } : {}) });
    const push = await execa('git', ['push', '--dry-run', '--quiet', 'origin', `HEAD:refs/heads/${checkout.branch}`], { cwd: checkout.dir, reject: false, env: { GIT_TERMINAL_PROMPT: '0' }, timeout: 60_000 });
    const localBare = /^\//.test(url) && !(await access(url, constants.W_OK).then(() => true, () => false));
    if (push.exitCode !== 0 || localBare) out.push({ name: 'fleet repo pushable', status: 'fail', detail: push.exitCode !== 0 ? redact(firstLine(push.stderr)) : `${url} is not writable by this user`, fix: 'give the reconciler\'s key write access (agents and the reconciler push status/ and notes/)' });
    else out.push({ name: 'fleet repo pushable', status: 'ok', detail: `branch ${checkout.branch} accepts pushes (dry run)` });
    const desired = await readDesired(checkout.dir, checkout.revision);
    const errors = desired.diagnostics.filter((d) => d.severity === 'error');
    out.push(isActionable(desired) ? { name: 'fleet valid', status: 'ok', detail: `${desired.boxes.length} box(es) at ${checkout.revision?.slice(0, 12)}` } : { name: 'fleet valid', status: 'fail', detail: `${errors.length} error(s), first: ${errors[0]?.file}:${errors[0]?.line}: ${errors[0]?.message}`, fix: 'run tbx validate in a checkout and fix the files; the reconciler changes nothing while the fleet is invalid' });
    return desired.site;
  } catch (err) {
    out.push({ name: 'fleet repo pushable', status: 'fail', detail: describeError(err), fix: 'check the state directory and the repo URL' });
    return undefined;
  }
}

/** The local clock against the backup share's (its server's) clock: a fresh file's mtime. */
async function clockCheck(o: DoctorOptions): Promise<Check> {
  const probe = join(o.backup, `.tbx-clock-${process.pid}`);
  try {
    const before = (o.now ?? (() => new Date()))().getTime();
    await writeFile(probe, '');
    const { mtimeMs } = await stat(probe);
    await rm(probe, { force: true });
    const skew = Math.round((mtimeMs - before) / 1000);
    if (Math.abs(skew) > 120) return { name: 'clock', status: 'fail', detail: `this host and the backup share's server disagree by ${skew} s`, fix: 'run an NTP client (systemd-timesyncd, chrony) on this host and the storage server' };
    if (Math.abs(skew) > 5) return { name: 'clock', status: 'warn', detail: `off by ${skew} s against the backup share's server`, fix: 'check NTP on both hosts' };
    return { name: 'clock', status: 'ok', detail: `in step with the backup share's server (${skew} s)` };
  } catch (err) {
    return { name: 'clock', status: 'warn', detail: `not checked: ${firstLine(err)}` };
  }
}
