import { stat } from 'node:fs/promises';
import { execa } from 'execa';

let unavailable = false;
const regular = new Map<string, boolean>();

/**
 * Make `[offset, offset+length)` of `path` read as zeros through util-linux's `fallocate`
 * (Node has no binding). On a regular file (tests, benchmarks, disk images) the range is
 * punched out (FALLOC_FL_PUNCH_HOLE): it reads zeros and takes no space, where zero-range
 * would allocate it. On a block device (Linux >= 4.9) FALLOC_FL_ZERO_RANGE makes the kernel
 * issue WRITE ZEROES or write zeros itself. Returns `'hole'` (a regular file's hole: it reads
 * zero by definition, nothing was written), `'zeroed'` (the device zeroed it), or false when
 * that is not possible (no tool, file system or device refuses), and the caller writes zeros
 * instead. Never leaves a range half-done silently: the kernel either zeroes the whole range or fails.
 */
export async function zeroRange(path: string, offset: number, length: number): Promise<'hole' | 'zeroed' | false> {
  if (unavailable) return false;
  let isFile = regular.get(path);
  if (isFile === undefined) regular.set(path, (isFile = (await stat(path).catch(() => undefined))?.isFile() === true));
  const mode = isFile ? ['--punch-hole', '--keep-size'] : ['--zero-range'];
  const r = await execa('fallocate', [...mode, '--offset', String(offset), '--length', String(length), path], { reject: false });
  if (r.exitCode === 0) return isFile ? 'hole' : 'zeroed';
  if (r.exitCode === undefined || /not found|ENOENT/.test(String(r.stderr ?? '')) || r.failed && r.exitCode === null) unavailable = true;
  return false;
}
