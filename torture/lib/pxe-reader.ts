import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What the concurrent reader saw. */
export interface ReaderStats {
  reads: number;
  /** Hex-IP files read that were not a complete tbx config (a torn write would show here). */
  partial: string[];
}

/**
 * Read every hex-IP file in `cfgDir` over and over, as tftpd would, until `stop()` is
 * called, and record any file that is not whole: a tbx config must start with its marker and
 * end with `LOCALBOOT 0`. Files vanishing between listing and reading are fine (deleted).
 */
export function startReader(cfgDir: string): { stop: () => Promise<ReaderStats> } {
  const stats: ReaderStats = { reads: 0, partial: [] };
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const name of await readdir(cfgDir).catch(() => [] as string[])) {
        if (!/^[0-9A-F]{8}$/.test(name)) continue;
        const text = await readFile(join(cfgDir, name), 'utf8').catch(() => null);
        if (text === null) continue;
        stats.reads++;
        if (!text.startsWith('# managed-by: tbx ') || !text.endsWith('LOCALBOOT 0\n')) stats.partial.push(`${name}: ${JSON.stringify(text.slice(-40))}`);
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return stats;
    },
  };
}
