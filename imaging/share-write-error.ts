import { TbxError } from '../lib/errors.js';

/**
 * A failed write to the backup share as an error an admin can act on: which file, and for a
 * full share (ENOSPC) or quota (EDQUOT) that the share is full, rather than a bare errno.
 */
export function shareWriteError(path: string, err: unknown, done?: string): TbxError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const what = code === 'ENOSPC' || code === 'EDQUOT' ? 'the backup share is full' : 'writing to the backup share failed';
  return new TbxError(`${what}: ${path}${done ? ` (${done})` : ''}: ${err instanceof Error ? err.message : String(err)}; nothing was committed, the previous image is intact`, { cause: err });
}
