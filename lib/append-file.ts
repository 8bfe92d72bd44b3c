import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { UnsafePathError } from './errors.js';

const FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/**
 * Append `text` to the log file at `path`, synchronously (the agent may reboot right after),
 * creating it 0644 if missing. Refuses a symlink at `path` (O_NOFOLLOW): a link planted on a
 * share must never turn a log line into a write to another box's image.
 */
export function appendNoFollow(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, FLAGS, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafePathError(`refusing to append to ${path}: it is a symlink`, { cause: err });
    throw err;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
