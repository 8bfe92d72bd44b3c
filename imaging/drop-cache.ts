import { stat } from 'node:fs/promises';

/**
 * Before reading a block device back after writing it: drop its buffer cache
 * (`blockdev --flushbufs`, the BLKFLSBUF ioctl), so the read-back comes from the device and
 * not from the pages just written. Regular files (tests, images) are left alone; a missing
 * tool only costs the guarantee that the read bypasses the cache, never the read itself.
 */
export async function dropCache(path: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isBlockDevice()) return;
  const { execa } = await import('execa');
  await execa('blockdev', ['--flushbufs', path], { reject: false, timeout: 60_000 });
}
