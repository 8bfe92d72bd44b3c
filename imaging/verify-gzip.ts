import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../lib/errors.js';
import { silentLogger } from '../lib/logger.js';
import { verifyChecksum } from './gzip-store.js';

/** What checking the gzip images of a share found. */
export interface GzipVerifyReport {
  /** Images checked against their `.sha256` (current and `.old` ones). */
  checked: number;
  /** Images without a `.sha256` (the seed's): nothing to check them against. */
  unchecked: number;
  problems: string[];
}

/** Every `<dev>.gz`, `<dev>.raw.gz` and `.old` image of the given boxes, re-hashed against its `.sha256`. */
export async function verifyGzipImages(backupRoot: string, ips: string[]): Promise<GzipVerifyReport> {
  const report: GzipVerifyReport = { checked: 0, unchecked: 0, problems: [] };
  for (const ip of ips) {
    const dir = join(backupRoot, ip);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^[a-z][a-z0-9]*(\.raw)?\.gz(\.old)?$/.test(n)).sort();
    for (const name of names) {
      try {
        if (await verifyChecksum(join(dir, name), { log: silentLogger() })) report.checked++;
        else report.unchecked++;
      } catch (err) {
        report.problems.push(describeError(err));
      }
    }
  }
  return report;
}
