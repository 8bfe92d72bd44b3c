import { constants } from 'node:fs';
import { open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeChange } from '../cli/views/plan-view.js';
import type { PassResult } from '../reconciler/pass.js';

/** The reconciler's decision log in the backup share's root, beside the seed's maintenance.log. */
export const EVENTS_LOG = 'tbx-events.jsonl';
const ROTATE_BYTES = 10 * 1024 * 1024;

/** One line of the decision log. */
export interface DecisionEntry {
  time: string;
  source: 'reconciler';
  box: string | null;
  /** The change (`write-pxe`, `delete-pxe`, ...) or `pass` for a pass-level entry. */
  op: string;
  result: 'applied' | 'skipped' | 'failed';
  detail: string;
  revision: string | null;
}

/** The entries a pass adds: every applied, skipped or failed change, or why the pass stopped. */
export function decisionsOf(pass: PassResult, now: Date): DecisionEntry[] {
  const time = now.toISOString();
  const revision = pass.revision;
  // An invalid or busy pass changed nothing, and so it writes nothing either, not even here:
  // its errors go to the pass's own log and exit code.
  if (!pass.apply) return [];
  const box = (c: { op: string } & Partial<{ box: string }>) => c.box ?? null;
  return [
    ...pass.apply.applied.map((c) => ({ time, source: 'reconciler' as const, box: box(c), op: c.op, result: 'applied' as const, detail: describeChange(c), revision })),
    ...pass.apply.skipped.map((s) => ({ time, source: 'reconciler' as const, box: box(s.change), op: s.change.op, result: 'skipped' as const, detail: `${describeChange(s.change)}: ${s.reason}`, revision })),
    ...pass.apply.failed.map((f) => ({ time, source: 'reconciler' as const, box: box(f.change), op: f.change.op, result: 'failed' as const, detail: `${describeChange(f.change)}: ${f.error}`, revision })),
  ];
}

/** Append entries as JSON lines, rotating the file to `.1` past 10 MiB. */
export async function appendDecisions(backupRoot: string, entries: DecisionEntry[]): Promise<void> {
  if (!entries.length) return;
  const path = join(backupRoot, EVENTS_LOG);
  const size = await stat(path).then((s) => s.size, () => 0);
  if (size > ROTATE_BYTES) await rename(path, `${path}.1`);
  // O_NOFOLLOW: a symlink planted on the share must not redirect tbx's writes.
  const fh = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  try {
    await fh.writeFile(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  } finally {
    await fh.close();
  }
}

/** Read the decision log (rotated part first); malformed lines are skipped. */
export async function readDecisions(backupRoot: string): Promise<DecisionEntry[]> {
  const out: DecisionEntry[] = [];
  for (const p of [`${join(backupRoot, EVENTS_LOG)}.1`, join(backupRoot, EVENTS_LOG)]) {
    const text = await readFile(p, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as DecisionEntry);
      } catch {
        // A torn last line (the reconciler died mid-append) is not worth failing for.
      }
    }
  }
  return out;
}
