import { stringify } from 'yaml';
import type { TestboxNote, TestboxStatus } from '../schema/types.js';
import { SCHEMA_FILES } from '../schema/validate.js';

const STATUS_KEYS: (keyof TestboxStatus)[] = ['apiVersion', 'kind', 'name', 'ip', 'request', 'action', 'attempt', 'phase', 'startedAt', 'finishedAt', 'message', 'exitCode', 'host', 'disks'];

/** Serialize a status with its keys in schema order, so diffs in reviews stay small. */
export function formatStatus(status: TestboxStatus): string {
  const ordered: Record<string, unknown> = {};
  for (const k of STATUS_KEYS) if (status[k] !== undefined) ordered[k] = status[k];
  return `# yaml-language-server: $schema=../.tbx/schema/${SCHEMA_FILES.TestboxStatus}\n${stringify(ordered, { lineWidth: 0 })}`;
}

/** Serialize a reconciler note. */
export function formatNote(note: TestboxNote): string {
  return `# yaml-language-server: $schema=../.tbx/schema/${SCHEMA_FILES.TestboxNote}\n${stringify(note, { lineWidth: 0 })}`;
}

/** Repo path of a box's status file. */
export function statusPath(name: string): string {
  return `status/${name}.yaml`;
}

/** Repo path of a box's reconciler note. */
export function notePath(name: string): string {
  return `notes/${name}.yaml`;
}
