import { constants } from 'node:fs';
import { open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeChange } from '../cli/views/plan-view.js';
import type { PassResult } from '../reconciler/pass.js';

/** The reconciler's decision log in the backup share's root, beside the seed's maintenance.log. */
export const EVENTS_LOG = 'tbx-events.jsonl';
const ROTATE_BYTES = 10 * 1024 * 1024;

/** Plan outcomes that keep a box from acting; the log records when a box enters or changes one. */
export const HELD_OUTCOMES = ['blocked', 'queued', 'held', 'suspended'] as const;
type HeldOutcome = (typeof HELD_OUTCOMES)[number];

/** One line of the decision log. */
export interface DecisionEntry {
  time: string;
  source: 'reconciler';
  box: string | null;
  /** The change (`write-pxe`, `delete-pxe`, ...), `hold` for a box held back, or `pass` for a pass-level entry. */
  op: string;
  /** A change's result, or the outcome holding a box back. */
  result: 'applied' | 'skipped' | 'failed' | HeldOutcome;
  detail: string;
  revision: string | null;
}

/** What the decision log remembers between passes, so it records changes rather than every pass. */
export interface HeldMemory {
  /** Box -> the key of what held it at the last pass (absent: it was not held). */
  held: Record<string, string>;
}

/**
 * Pure: the entries for boxes newly held back (blocked, queued, outside a maintenance
 * window, suspended) or held for another reason than at the last pass, and the memory for
 * the next pass. A box that stays held for the same reason writes one line, not one per
 * pass; a queued box moving up the queue is the same reason. An invalid or busy pass adds
 * nothing and keeps the memory: it wrote nothing to the shares, not even this log (fail
 * closed); its errors go to the reconciler's own log, exit code and metrics.
 */
export function heldDecisions(pass: PassResult, memory: HeldMemory, now: Date): { entries: DecisionEntry[]; memory: HeldMemory } {
  const time = now.toISOString();
  const revision = pass.revision;
  if (!pass.plan || pass.outcome !== 'applied') return { entries: [], memory };
  const held: Record<string, string> = {};
  const entries: DecisionEntry[] = [];
  for (const b of pass.plan.boxes) {
    if (!(HELD_OUTCOMES as readonly string[]).includes(b.outcome)) continue;
    // The queue position is not a new reason; a different blocker is.
    const key = `${b.outcome}/${b.action}/${b.request ?? ''}${b.outcome === 'blocked' ? `/${b.reason}` : ''}`;
    held[b.name] = key;
    if (memory.held[b.name] !== key) entries.push({ time, source: 'reconciler', box: b.name, op: 'hold', result: b.outcome as HeldOutcome, detail: b.reason, revision });
  }
  return { entries, memory: { held } };
}

/** The entries a pass adds for its changes: every applied, skipped or failed one (see {@link heldDecisions} for the rest). */
export function decisionsOf(pass: PassResult, now: Date): DecisionEntry[] {
  const time = now.toISOString();
  const revision = pass.revision;
  // An invalid or busy pass changed nothing, and so it writes nothing either, not even here.
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
