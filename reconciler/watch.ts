import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import chokidar from 'chokidar';
import type { Logger } from '../lib/logger.js';

/** What --watch listens to besides its interval. */
export interface WatchOptions {
  intervalMs: number;
  /** Files and directories whose changes start a pass early. */
  paths: string[];
  log: Logger;
  signal: AbortSignal;
  /** Settle time after an event before the pass starts (several files change together). */
  debounceMs?: number;
}

/**
 * Run `pass` now, then again every `intervalMs` (or after the shorter delay `pass` returns,
 * e.g. while a box's comeback check is pending) or soon after a watched path changes, until
 * `signal` aborts. A pass is never started while one runs. Events from other hosts on NFS
 * do not arrive through inotify, so the interval stays the backstop.
 */
export async function watchLoop(pass: () => Promise<number | void>, options: WatchOptions): Promise<void> {
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const poke = () => {
    clearTimeout(timer);
    timer = setTimeout(() => wake?.(), options.debounceMs ?? 300);
  };
  const watcher = chokidar.watch(options.paths.filter(existsSync), { ignoreInitial: true, depth: 2, ignored: (p) => /\.tmp-|\.lock$|\.lock\//.test(p) });
  watcher.on('all', (event, path) => {
    options.log.debug({ event, path: basename(path) }, 'change seen');
    poke();
  });
  options.signal.addEventListener('abort', () => wake?.(), { once: true });
  try {
    while (!options.signal.aborted) {
      const soon = await pass();
      if (options.signal.aborted) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(options.intervalMs, soon ?? Infinity));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    clearTimeout(timer);
    await watcher.close();
  }
}

/** The paths worth watching for a fleet spec and shares: local repo refs, spooled statuses, PXE configs. */
export function watchPaths(fleet: string, tftpRoot: string, backupRoot: string): string[] {
  const repoRefs = existsSync(join(fleet, '.git')) ? [join(fleet, '.git', 'refs', 'heads'), join(fleet, '.git', 'packed-refs')] : [join(fleet, 'refs', 'heads'), join(fleet, 'packed-refs')];
  return [...repoRefs, join(tftpRoot, 'pxelinux.cfg'), backupRoot];
}
