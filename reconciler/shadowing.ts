import type { Diagnostic } from '../lib/errors.js';
import { hexIp } from '../lib/hex-ip.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAC = /^[0-9a-f]{2}(-[0-9a-f]{2}){2,}$/;
const HEX_PREFIX = /^[0-9A-F]{1,7}$/;

/**
 * Pure: warnings for files in `pxelinux.cfg/` that decide what a box boots before or instead
 * of tbx's files. PXELINUX tries the client UUID, then `01-<mac>`, then the box's hex IP with
 * one digit fewer at a time, then `default`. So a UUID or MAC file hides tbx's per-IP config
 * for that machine (a restore never reaches it), and a hex prefix such as `0AA5` is what a
 * box in that subnet boots whenever tbx has no config for it, instead of `default`.
 * `names` is the directory listing; `ips` the fleet's boxes. tbx never touches these files.
 */
export function shadowWarnings(names: string[], ips: string[]): Diagnostic[] {
  const warn = (name: string, message: string): Diagnostic => ({ file: `pxelinux.cfg/${name}`, line: 1, col: 1, message, rule: 'pxe-shadow', severity: 'warning' });
  const out: Diagnostic[] = [];
  for (const name of [...names].sort()) {
    if (UUID.test(name) || MAC.test(name)) {
      const kind = UUID.test(name) ? 'client UUID' : 'MAC address';
      out.push(warn(name, `PXELINUX reads this ${kind} file before any per-IP file: if it belongs to a testbox, tbx's configs never reach that box. Remove it unless that machine is not a testbox`));
      continue;
    }
    if (!HEX_PREFIX.test(name)) continue;
    const covered = ips.filter((ip) => hexIp(ip).startsWith(name));
    if (covered.length === 0) continue;
    out.push(warn(name, `a subnet file: ${covered.length} box(es) (${covered.slice(0, 5).join(', ')}${covered.length > 5 ? ', ...' : ''}) boot it instead of default whenever tbx has no config for them, so it decides whether they boot their disks`));
  }
  return out;
}
