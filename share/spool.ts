import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write.js';
import type { Diagnostic } from '../lib/errors.js';
import { ensureDirUnder } from '../lib/safe-path.js';
import { parseFleetFile } from '../fleet/parse-file.js';
import { formatStatus } from '../fleet/status-file.js';
import type { TestboxStatus } from '../schema/types.js';
import { BOX_FILES, boxDir } from './layout.js';

/** A spooled status as read from the share: the value, or why it is unusable. */
export interface Spooled {
  status?: TestboxStatus;
  diagnostics: Diagnostic[];
}

/**
 * Write the agent's status to `<backup>/<ip>/status.yaml` atomically. This is the first
 * durable record of a result; git comes second and may be unreachable.
 */
export async function writeSpooledStatus(backupRoot: string, status: TestboxStatus): Promise<void> {
  const dir = await ensureDirUnder(backupRoot, status.ip);
  await writeFileAtomic(join(dir, BOX_FILES.status), formatStatus(status), { root: backupRoot });
}

/**
 * Mark `<backup>/<ip>/` as "the agent is still pushing its status to git until `until`", so a
 * reconciler pass does not forward the spooled copy meanwhile. Returns the marker's path.
 */
export async function markPushing(backupRoot: string, ip: string, until: Date): Promise<string> {
  const dir = await ensureDirUnder(backupRoot, ip);
  const file = join(dir, BOX_FILES.pushing);
  await writeFileAtomic(file, JSON.stringify({ pid: process.pid, until: until.toISOString() }), { root: backupRoot });
  return file;
}

/** Read `<backup>/<ip>/status.yaml`, validated like a status file in git. Missing -> empty. */
export async function readSpooledStatus(backupRoot: string, ip: string): Promise<Spooled> {
  const file = join(boxDir(backupRoot, ip), BOX_FILES.status);
  const bytes = await readFile(file).catch(() => undefined);
  if (!bytes) return { diagnostics: [] };
  const parsed = parseFleetFile<TestboxStatus>(file, bytes, 'TestboxStatus');
  return parsed.value ? { status: parsed.value, diagnostics: [] } : { diagnostics: parsed.diagnostics };
}
