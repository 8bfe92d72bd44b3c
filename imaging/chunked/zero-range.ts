import { stat } from 'node:fs/promises';

const regular = new Map<string, boolean>();

/** How a range was zeroed: a hole of a regular file (reads zero by definition), zeroed by the device, or not (write zeros instead). */
export type Zeroed = 'hole' | 'zeroed' | false;

/**
 * Make each `[offset, length]` range of `path` read as zeros through util-linux's `fallocate`
 * (Node has no binding), one shell for the whole batch rather than one process per range. On
 * a regular file (tests, benchmarks, disk images) the range is punched out
 * (FALLOC_FL_PUNCH_HOLE): it reads zeros and takes no space, where zero-range would allocate
 * it. On a block device (Linux >= 4.9) FALLOC_FL_ZERO_RANGE makes the kernel issue WRITE
 * ZEROES or write zeros itself. Returns, per range, `'hole'`, `'zeroed'`, or false when that
 * was not possible (no tool, file system or device refuses), and the caller writes zeros
 * there instead. Never leaves a range half-done silently: the kernel either zeroes the whole
 * range or fails.
 */
export async function zeroRanges(path: string, ranges: Array<[number, number]>): Promise<Zeroed[]> {
  if (ranges.length === 0 || !(await hasFallocate())) return ranges.map(() => false);
  let isFile = regular.get(path);
  if (isFile === undefined) regular.set(path, (isFile = (await stat(path).catch(() => undefined))?.isFile() === true));
  const mode = isFile ? '--punch-hole --keep-size' : '--zero-range';
  // One line per range, in order: 1 when fallocate zeroed it.
  const script = `p=$1; shift; while [ $# -gt 0 ]; do if fallocate ${mode} --offset "$1" --length "$2" "$p" 2>/dev/null; then echo 1; else echo 0; fi; shift 2; done`;
  const { execa } = await import('execa');
  const r = await execa('sh', ['-c', script, 'sh', path, ...ranges.flatMap(([o, n]) => [String(o), String(n)])], { reject: false });
  const lines = String(r.stdout ?? '').split('\n');
  return ranges.map((_, i) => (lines[i] === '1' ? (isFile ? 'hole' : 'zeroed') : false));
}

let found: Promise<boolean> | undefined;
/** Whether util-linux's fallocate is on PATH (asked once per process). */
function hasFallocate(): Promise<boolean> {
  found ??= import('execa').then(({ execa }) => execa('fallocate', ['--help'], { reject: false })).then((r) => r.exitCode === 0);
  return found;
}
