import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_FILE } from '../lib/atomic-write.js';
import type { Diagnostic } from '../lib/errors.js';
import { hexIp, ipFromHex } from '../lib/hex-ip.js';
import type { ImageStore, ImageSummary } from '../imaging/store.js';
import { isOwnDefault, parseOwner, type PxeOwner } from '../pxe/marker.js';
import { readDiskList, type ObservedDiskList } from '../share/disk-list.js';
import { BOX_FILES, boxDir } from '../share/layout.js';
import { readSpooledStatus } from '../share/spool.js';
import type { CheckResult } from '../power/check.js';
import type { TestboxStatus } from '../schema/types.js';
import { shadowWarnings } from './shadowing.js';

/** A hex-IP file found in `pxelinux.cfg/`. */
export interface ObservedPxe {
  hex: string;
  ip: string;
  /** SHA-256 of the content: apply refuses to touch the file if it changed since. */
  fingerprint: string;
  /** Set when tbx wrote it. */
  owner?: PxeOwner;
  /** True for anything that is not a regular file (a symlink, a directory): never touched. */
  irregular: boolean;
  /** Last write (ISO-8601): when tbx wrote it, for the action timeout. */
  mtime: string;
}

/** What the backup share holds for one box IP. */
export interface ObservedBox {
  images: ImageSummary[];
  spooled?: TestboxStatus;
  diskList: ObservedDiskList;
  /** The agent is still pushing its spooled status to git until this time (ISO-8601). */
  pushingUntil?: string;
}

/** Everything a plan is computed against, read from the TFTP and backup shares. */
export interface Observed {
  /** `pxelinux.cfg/default` exists. */
  hasDefault: boolean;
  /** `pxelinux.cfg/default` exists and tbx wrote it. */
  defaultOwned: boolean;
  pxe: Map<string, ObservedPxe>;
  boxes: Map<string, ObservedBox>;
  /** Problems with share content (e.g. an unreadable spooled status). */
  diagnostics: Diagnostic[];
  /** Comeback checks run this pass, by box name (only boxes that await one). */
  comebacks: Map<string, CheckResult>;
  /** When this observation was made (ISO-8601); the plan's only notion of time. */
  now: string;
  /** Temp files tbx left in pxelinux.cfg/ when a pass was killed mid-write. */
  leftovers: string[];
}

/** Where to look, and with which image stores. */
export interface ObserveOptions {
  tftpRoot: string;
  backupRoot: string;
  stores: ImageStore[];
  /** The clock, injectable for tests. */
  now?: Date;
  /** False when the backup share is unusable (no marker): nothing on it is read. */
  shareUsable?: boolean;
}

/** Fingerprint of a file's content, as plans record it. */
export function fingerprint(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Read the TFTP tree and backup share for the given box IPs: every hex-IP file in
 * `pxelinux.cfg/` (with its owner), files that shadow them (warnings), and per box its
 * images, spooled status and disk list.
 */
export async function observe(ips: string[], options: ObserveOptions): Promise<Observed> {
  const cfgDir = join(options.tftpRoot, 'pxelinux.cfg');
  const pxe = new Map<string, ObservedPxe>();
  let hasDefault = false;
  let defaultOwned = false;
  const leftovers: string[] = [];
  const listing = await readdir(cfgDir).catch(() => [] as string[]);
  for (const name of listing) {
    const path = join(cfgDir, name);
    if (TEMP_FILE.test(name)) {
      leftovers.push(name);
      continue;
    }
    if (name === 'default') {
      hasDefault = true;
      defaultOwned = isOwnDefault(await readFile(path, 'utf8').catch(() => ''));
      continue;
    }
    const ip = ipFromHex(name);
    if (!ip) continue;
    // An agent may remove its config between readdir and here: gone is what it now is.
    const st = await lstat(path).catch(ifGone(undefined));
    if (!st) continue;
    if (!st.isFile()) {
      pxe.set(name, { hex: name, ip, fingerprint: '', irregular: true, mtime: st.mtime.toISOString() });
      continue;
    }
    const content = await readFile(path).catch(ifGone(undefined));
    if (!content) continue;
    const owner = parseOwner(content.toString('utf8'));
    pxe.set(name, { hex: name, ip, fingerprint: fingerprint(content), irregular: false, mtime: st.mtime.toISOString(), ...(owner ? { owner } : {}) });
  }
  const diagnostics: Diagnostic[] = shadowWarnings(listing, ips);
  const boxes = new Map<string, ObservedBox>();
  for (const ip of options.shareUsable === false ? [] : new Set(ips)) {
    const dir = boxDir(options.backupRoot, ip);
    const images = (await Promise.all(options.stores.map((s) => s.list(dir)))).flat();
    const spool = await readSpooledStatus(options.backupRoot, ip);
    diagnostics.push(...spool.diagnostics.map((d) => ({ ...d, severity: 'warning' as const })));
    const pushingUntil = await readPushing(dir);
    boxes.set(ip, { images, diskList: await readDiskList(options.backupRoot, ip), ...(spool.status ? { spooled: spool.status } : {}), ...(pushingUntil ? { pushingUntil } : {}) });
  }
  return { hasDefault, defaultOwned, pxe, boxes, diagnostics, comebacks: new Map(), now: (options.now ?? new Date()).toISOString(), leftovers };
}

/** A catch handler that turns ENOENT into `value` and rethrows anything else. */
function ifGone<T>(value: T): (err: NodeJS.ErrnoException) => T {
  return (err) => {
    if (err.code === 'ENOENT') return value;
    throw err;
  };
}

async function readPushing(boxDir: string): Promise<string | undefined> {
  try {
    const { until } = JSON.parse(await readFile(join(boxDir, BOX_FILES.pushing), 'utf8')) as { until?: unknown };
    return typeof until === 'string' && !Number.isNaN(Date.parse(until)) ? until : undefined;
  } catch {
    return undefined;
  }
}

/** The PXE entry for a box IP, if any. */
export function pxeFor(observed: Observed, ip: string): ObservedPxe | undefined {
  return observed.pxe.get(hexIp(ip));
}
