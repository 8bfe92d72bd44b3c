import { execa } from 'execa';

let unavailable = false;

/**
 * Make `[offset, offset+length)` of `path` read as zeros with fallocate(FALLOC_FL_ZERO_RANGE)
 * through util-linux's `fallocate` (Node has no binding): on a regular file the range becomes
 * unwritten extents, on a block device (Linux >= 4.9) the kernel issues WRITE ZEROES or writes
 * zeros itself. Returns false when that is not possible (no tool, file system or device
 * refuses), and the caller writes zeros instead. Never leaves a range half-done silently:
 * the kernel either zeroes the whole range or fails.
 */
export async function zeroRange(path: string, offset: number, length: number): Promise<boolean> {
  if (unavailable) return false;
  const r = await execa('fallocate', ['--zero-range', '--offset', String(offset), '--length', String(length), path], { reject: false });
  if (r.exitCode === 0) return true;
  if (r.exitCode === undefined || /not found|ENOENT/.test(String(r.stderr ?? '')) || r.failed && r.exitCode === null) unavailable = true;
  return false;
}
