import { hexIp } from '../lib/hex-ip.js';
import type { Action, Site } from '../schema/types.js';
import { markerLine, DEFAULT_MARKER } from './marker.js';

/** What a maintenance config is rendered from. */
export interface BoxRequest {
  name: string;
  ip: string;
  action: Exclude<Action, 'none'>;
  request: string;
  /** restore from another box's (or an older) image: that box's IP and optional generation. */
  source?: { ip: string; generation?: number };
  /** restore: the request says `force: true` (identity gate overridden, never the size check). */
  force?: boolean;
}

/**
 * The imaging tokens tbx adds for the agent, which never reads fleet.yaml: for backups the
 * format, the generations to keep and whether to skip free space; for a restore the source
 * and `testbox-force=1` when the request overrides the disk identity gate.
 */
export function imagingArgs(site: Site, box: BoxRequest): string[] {
  const p = site.policy;
  if (box.action === 'backup' || box.action === 'backup-again') {
    return [`testbox-format=${p.imageFormat ?? 'chunked'}`, `testbox-keep=${p.keepGenerations ?? 3}`, `testbox-free-space=${p.skipFreeSpace === false ? 'read' : 'skip'}`];
  }
  if (box.action === 'restore') {
    return [...(box.source ? [`testbox-source=${box.source.ip}${box.source.generation ? `@${box.source.generation}` : ''}`] : []), ...(box.force ? ['testbox-force=1'] : [])];
  }
  return [];
}

/**
 * The kernel command line tokens of a box's maintenance boot: the seed emitter's APPEND
 * line, then `testbox-request=` and `testbox-name=`, the imaging tokens ({@link imagingArgs}),
 * then the site's extra arguments.
 */
export function kernelArgs(site: Site, box: BoxRequest): string[] {
  const b = site.boot;
  const ip = b.ipConfig === 'dhcp' ? 'ip=dhcp' : `ip=${box.ip}:${b.nfsServer}:${b.gateway ?? ''}:${b.netmask ?? ''}:maintenance:${b.ethDevice}`;
  return [
    `initrd=${b.initrd}`,
    `testbox-action-${box.action}`,
    'ro',
    'aufs=tmpfs',
    'boot=nfs',
    'root=/dev/nfs',
    `nfsroot=${b.nfsServer}:${b.nfsRoot},ro,tcp`,
    'nfsvers=3',
    'nfsrootdebug',
    ip,
    `testbox-request=${box.request}`,
    `testbox-name=${box.name}`,
    ...imagingArgs(site, box),
    ...b.extraArgs,
  ];
}

/**
 * Render `pxelinux.cfg/<HEXIP>` for a box: tbx's ownership marker, then the same lines the
 * seed's testbox-pxe-conf.sh wrote. Every value is checked again here to be a single token,
 * so nothing in the repo can add a line or a second APPEND.
 */
export function renderBoxConfig(site: Site, box: BoxRequest): string {
  const args = kernelArgs(site, box);
  for (const token of [site.boot.kernel, ...args]) assertToken(token);
  return [
    markerLine(box.name, box.request, box.action),
    `# Written by tbx from testboxes/${box.name}.yaml; tbx removes it when the request is done.`,
    'PATH bios',
    'DEFAULT maintenance',
    'LABEL maintenance',
    'MENU LABEL Maintenance (NFS)',
    `KERNEL ${site.boot.kernel}`,
    `APPEND ${args.join(' ')}`,
    'LABEL local-boot',
    'LOCALBOOT 0',
    '',
  ].join('\n');
}

/** `pxelinux.cfg/default`: every box without its own file boots its local disk. */
export function renderDefaultConfig(): string {
  return [DEFAULT_MARKER, 'PATH bios', 'DEFAULT local-boot', 'LABEL local-boot', 'LOCALBOOT 0', ''].join('\n');
}

/** The PXE file name of a box (hex IP). */
export function configName(ip: string): string {
  return hexIp(ip);
}

function assertToken(token: string): void {
  if (!token || /[\s"'\\]/.test(token) || /[\u0000-\u001f\u007f]/.test(token)) {
    throw new RangeError(`refusing PXE token ${JSON.stringify(token)}: must be one word without quotes or control characters`);
  }
}
