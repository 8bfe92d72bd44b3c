import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { hexIp } from '../lib/hex-ip.js';
import { tbxBin } from '../lib/package-root.js';

/** A simulated testbox: its address and the directories standing in for /dev, /sys and /proc/cmdline. */
export interface SimBox {
  name: string;
  ip: string;
  /** Holds dev/, sys/block/, sys/firmware/ and the cmdline file of each boot. */
  root: string;
}

/** Where the simulated box boots from and reports to. */
export interface SimSite {
  tftp: string;
  backup: string;
  /** Fleet repo the agent pushes to; omit to exercise the spool path. */
  fleet?: string;
  stateDir: string;
}

/** What one simulated boot did. */
export interface BootResult {
  /** `maintenance` when the box's own config was found, else `local` (pxelinux.cfg/default). */
  booted: 'maintenance' | 'local';
  exitCode: number | null;
  output: string;
}

/**
 * Boot a simulated box the way PXELINUX would: if `pxelinux.cfg/<HEXIP>` exists, its
 * KERNEL and APPEND line become the kernel command line and the real `tbx agent` runs
 * against the box's file-backed disks; otherwise the box falls back to `default` and boots
 * its local disk (nothing runs).
 */
export async function pxeBoot(box: SimBox, site: SimSite, extraArgs: string[] = []): Promise<BootResult> {
  const cfg = await readFile(join(site.tftp, 'pxelinux.cfg', hexIp(box.ip)), 'utf8').catch(() => null);
  if (cfg === null) return { booted: 'local', exitCode: null, output: '' };
  const kernel = /^\s*KERNEL\s+(\S+)/im.exec(cfg)?.[1] ?? 'unknown';
  const append = /^\s*APPEND\s+(.*)$/im.exec(cfg)?.[1] ?? '';
  const cmdline = join(box.root, 'cmdline');
  await mkdir(box.root, { recursive: true });
  await writeFile(cmdline, `BOOT_IMAGE=${kernel} ${append}\n`);
  const args = [
    tbxBin(), 'agent',
    '--tftp', site.tftp,
    '--backup', site.backup,
    '--ip', box.ip,
    '--hostname', box.name,
    '--cmdline', cmdline,
    '--sys-block', join(box.root, 'sys', 'block'),
    '--dev-dir', join(box.root, 'dev'),
    '--sys-firmware', join(box.root, 'sys', 'firmware'),
    '--state-dir', join(site.stateDir, `agent-${box.name}`),
    '--no-reboot', '--no-mount', '--fail-delay', '0', '--share-wait', '0',
    ...(site.fleet ? ['--fleet', site.fleet] : []),
    ...extraArgs,
  ];
  const r = await execa(process.execPath, args, { reject: false, all: true, env: { TBX_FLEET: '', TBX_LOG_LEVEL: 'warn' } });
  return { booted: 'maintenance', exitCode: r.exitCode ?? null, output: r.all ?? '' };
}
