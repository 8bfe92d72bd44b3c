import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { boxDir } from './layout.js';

/** File name of the live progress record in a box's share directory. */
export const PROGRESS_FILE = 'progress.json';

/**
 * `<backup>/<ip>/progress.json`: what the agent is doing right now, rewritten atomically
 * about once a second while a disk is imaged. Readers must treat an old `updatedAt` as a
 * dead agent. Documented in docs/tbx-status.1.md.
 */
export interface ProgressRecord {
  apiVersion: 'tbx/v1';
  kind: 'TestboxProgress';
  name: string | null;
  ip: string;
  request: string | null;
  action: string;
  attempt: number | null;
  /** `running` while bytes move, `done` after the last disk, `failed` when the action failed. */
  state: 'running' | 'done' | 'failed';
  device: string;
  /** 1-based index of the current disk and how many there are. */
  disk: number;
  disks: number;
  bytesDone: number;
  bytesTotal: number;
  percent: number;
  bytesPerSecond: number;
  /** Seconds left for the current disk at the current rate; null until a rate is known. */
  etaSeconds: number | null;
  startedAt: string;
  updatedAt: string;
}

/** Write the progress record atomically (readers never see half a file). */
export async function writeProgress(backupRoot: string, record: ProgressRecord): Promise<void> {
  await writeFileAtomic(join(boxDir(backupRoot, record.ip), PROGRESS_FILE), `${JSON.stringify(record)}\n`, { root: backupRoot });
}

/** Read a box's progress record; undefined when there is none or it is unreadable. */
export async function readProgress(backupRoot: string, ip: string): Promise<ProgressRecord | undefined> {
  try {
    const v = JSON.parse(await readFile(join(boxDir(backupRoot, ip), PROGRESS_FILE), 'utf8')) as ProgressRecord;
    return v && v.kind === 'TestboxProgress' ? v : undefined;
  } catch {
    return undefined;
  }
}
