import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ChunkStore } from '../imaging/chunked/chunk-store.js';
import { silentLogger } from '../lib/logger.js';

/**
 * One imaging operation of the benchmark, in its own process so its peak RSS is its own:
 *   node dist/bench/imaging-op.js backup  <backup-root> <box-ip> <disk-image>
 *   node dist/bench/imaging-op.js restore <backup-root> <box-ip> <disk-image>
 * Prints one JSON line: what the store reported, plus maxRssKiB.
 */
async function main(): Promise<void> {
  const [op, backup, ip, path] = process.argv.slice(2);
  if (!op || !backup || !ip || !path) throw new Error('usage: imaging-op.js backup|restore <backup-root> <box-ip> <disk-image>');
  const dir = join(backup, ip);
  await mkdir(dir, { recursive: true });
  const disk = { device: 'sda', path, size: (await stat(path)).size };
  const store = new ChunkStore();
  const log = silentLogger();
  const started = process.hrtime.bigint();
  let result: object;
  if (op === 'backup') {
    result = await store.backup(disk, dir, { replace: true, keep: 10, log, box: { ip } });
  } else {
    const [image] = await store.list(dir);
    if (!image) throw new Error(`no image in ${dir}`);
    result = await store.restore(image, disk, dir, { log });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ ...result, opSeconds: seconds, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
