import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDisk } from '../../demo/disks.js';
import { hexIp } from '../../lib/hex-ip.js';
import { renderBoxConfig } from '../../pxe/render.js';
import type { Action, Site } from '../../schema/types.js';
import { site } from './builders.js';
import { runTbx } from './cli.js';
import type { Shares } from './shares.js';

/** A simulated box for agent tests: file-backed disks, a /sys/block tree and a cmdline file. */
export interface AgentBox {
  name: string;
  ip: string;
  root: string;
  dev: string;
  sysBlock: string;
  cmdline: string;
  disk(device: string): string;
}

/** Make a box under `root` with the given disks (device -> size in MiB). */
export async function makeAgentBox(root: string, name: string, ip: string, disks: Record<string, number> = { sda: 8 }): Promise<AgentBox> {
  const b = { name, ip, root: join(root, 'boxes', name) };
  const dev = join(b.root, 'dev');
  const sysBlock = join(b.root, 'sys', 'block');
  await mkdir(dev, { recursive: true });
  await mkdir(sysBlock, { recursive: true });
  await mkdir(join(b.root, 'sys', 'firmware'), { recursive: true });
  for (const [d, mib] of Object.entries(disks)) await makeDisk(dev, sysBlock, d, mib * 1024 * 1024, `${name}/${d}`);
  return { ...b, dev, sysBlock, cmdline: join(b.root, 'cmdline'), disk: (d) => join(dev, d) };
}

/**
 * Write the box's PXE file as the reconciler would, and a matching kernel command line.
 * `format` is the site's policy.imageFormat (default chunked, as on a new site).
 */
export async function requestAction(box: AgentBox, shares: Shares, action: Exclude<Action, 'none'>, request: string, format: Site['policy']['imageFormat'] = 'chunked', extra: { force?: boolean; source?: { ip: string; generation?: number } } = {}): Promise<string> {
  const cfg = renderBoxConfig(site({ imageFormat: format }), { name: box.name, ip: box.ip, action, request, ...extra });
  await writeFile(join(shares.cfg, hexIp(box.ip)), cfg);
  const append = /^APPEND (.*)$/m.exec(cfg)![1];
  await writeFile(box.cmdline, `BOOT_IMAGE=maintenance-boot/vmlinuz ${append}\n`);
  return cfg;
}

/**
 * Boot the box as PXELINUX would: if its `pxelinux.cfg/<HEXIP>` exists, its APPEND line
 * becomes the kernel command line and the config's text is returned; without one the box
 * boots its disk and this returns null.
 */
export async function bootBox(box: AgentBox, shares: Shares): Promise<string | null> {
  const cfg = await readFile(join(shares.cfg, hexIp(box.ip)), 'utf8').catch(() => null);
  if (cfg === null) return null;
  await writeFile(box.cmdline, `BOOT_IMAGE=maintenance-boot/vmlinuz ${/^APPEND (.*)$/m.exec(cfg)?.[1] ?? ''}\n`);
  return cfg;
}

/** Run the real `tbx agent` for `box` against the shares (no reboot, no waits). */
export async function runAgent(box: AgentBox, shares: Shares, extra: string[] = [], env: Record<string, string> = {}) {
  return runTbx(agentArgs(box, shares, extra), env);
}

/** The `tbx agent` arguments for a simulated box: its files stand in for /proc/cmdline, /sys/block and /dev. */
export function agentArgs(box: AgentBox, shares: Shares, extra: string[] = []): string[] {
  return [
      'agent',
      '--tftp', shares.tftp,
      '--backup', shares.backup,
      '--ip', box.ip,
      '--hostname', box.name,
      '--cmdline', box.cmdline,
      '--sys-block', box.sysBlock,
      '--dev-dir', box.dev,
      '--sys-firmware', join(box.root, 'sys', 'firmware'),
      '--state-dir', join(shares.state, `agent-${box.name}`),
      '--no-reboot', '--no-mount', '--fail-delay', '0', '--share-wait', '0',
      ...extra,
    ];
}
