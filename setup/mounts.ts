import { readFile, realpath } from 'node:fs/promises';

/** The mount a path lives on. */
export interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
}

/**
 * The mount holding `path`, from a mountinfo file (default /proc/self/mountinfo): the entry
 * with the longest mount point that prefixes the path's real location.
 */
export async function mountOf(path: string, mountinfo = '/proc/self/mountinfo'): Promise<MountInfo | undefined> {
  const real = await realpath(path).catch(() => path);
  const text = await readFile(mountinfo, 'utf8').catch(() => '');
  let best: MountInfo | undefined;
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = unescape(left.split(' ')[4] ?? '');
    const [fsType, source] = right.split(' ');
    const inside = real === mountPoint || real.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`);
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) best = { mountPoint, fsType: fsType ?? '?', source: unescape(source ?? '?') };
  }
  return best;
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
